import path from "node:path";
import { z } from "zod";

/** Every environment variable Seller Pilot reads. Anything else named SELLER_PILOT_* is an error (a typo
 * in a security setting must not silently fall back to a development default). */
export const KNOWN_VARIABLES = [
  "SELLER_PILOT_ENV",
  "SELLER_PILOT_DATA_DIR",
  "DATABASE_URL",
  "SELLER_PILOT_HOST",
  "SELLER_PILOT_PORT",
  "SELLER_PILOT_HTTP_REDIRECT_PORT",
  "SELLER_PILOT_PUBLIC_URL",
  "SELLER_PILOT_TLS_CERT_FILE",
  "SELLER_PILOT_TLS_KEY_FILE",
  "SELLER_PILOT_MASTER_KEY_FILE",
  "SELLER_PILOT_KMS_KEY_ID",
  "SELLER_PILOT_KMS_REGION",
  "SELLER_PILOT_KMS_ENDPOINT",
  "SELLER_PILOT_LWA_CLIENT_ID",
  "SELLER_PILOT_LWA_CLIENT_SECRET",
  "SELLER_PILOT_APP_ID",
  "SELLER_PILOT_SPAPI_ENDPOINT",
  "SELLER_PILOT_LWA_TOKEN_URL",
  "SELLER_PILOT_SANDBOX_PII_CANARY",
  "SELLER_PILOT_LOG_LEVEL",
  "SELLER_PILOT_SECURITY_CONTACT",
  "SELLER_PILOT_SECURITY_TXT_EXPIRES",
  "SELLER_PILOT_ACCOUNT_DELETION_GRACE_DAYS",
  "SELLER_PILOT_INCIDENT_CONTACT",
  "SELLER_PILOT_INCIDENT_CANARY_ORDERS",
  "SELLER_PILOT_ALERT_SMTP_URL",
  "SELLER_PILOT_ALERT_SMTP_PASSWORD",
  "SELLER_PILOT_ALERT_EMAIL_FROM",
  "SELLER_PILOT_ALERT_EMAIL_TO",
  "SELLER_PILOT_ALERT_WEBHOOK_URL",
  "SELLER_PILOT_ALERT_WEBHOOK_SECRET",
] as const;

/** Variables whose values are secrets: never echoed in errors, `doctor` output or logs. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  "SELLER_PILOT_LWA_CLIENT_SECRET",
  "DATABASE_URL",
  "SELLER_PILOT_ALERT_SMTP_PASSWORD",
  "SELLER_PILOT_ALERT_WEBHOOK_SECRET",
]);

export const DEVELOPMENT_SECURITY_CONTACT = "mailto:security@localhost";

const MAX = 2048;
const optionalText = z.string().trim().min(1).max(MAX).optional();
const port = z.coerce.number().int().min(0).max(65535);

const httpUrl = z
  .string()
  .trim()
  .max(MAX)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === "https:" || url.protocol === "http:";
    } catch {
      return false;
    }
  }, "must be an http(s) URL");

const securityContact = z
  .string()
  .trim()
  .max(MAX)
  .regex(
    /^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+|tel:\+?[0-9 ()-]+)$/,
    "must be a mailto:, https: or tel: URI (RFC 9116)",
  );

export const envSchema = z.object({
  SELLER_PILOT_ENV: z.enum(["development", "production"]).default("development"),
  SELLER_PILOT_DATA_DIR: z.string().trim().min(1).max(MAX).default("./data"),
  DATABASE_URL: z
    .string()
    .trim()
    .max(MAX)
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  SELLER_PILOT_HOST: z.string().trim().min(1).max(255).optional(),
  SELLER_PILOT_PORT: port.default(8443),
  SELLER_PILOT_HTTP_REDIRECT_PORT: port.optional(),
  SELLER_PILOT_PUBLIC_URL: httpUrl.optional(),
  SELLER_PILOT_TLS_CERT_FILE: optionalText,
  SELLER_PILOT_TLS_KEY_FILE: optionalText,
  SELLER_PILOT_MASTER_KEY_FILE: optionalText,
  SELLER_PILOT_KMS_KEY_ID: z
    .string()
    .trim()
    .max(2048)
    .regex(
      /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|[0-9a-f-]{36}|mrk-[0-9a-f]{32})$/,
      "must be a KMS key id, key ARN, alias or alias ARN",
    )
    .optional(),
  SELLER_PILOT_KMS_REGION: z
    .string()
    .trim()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as eu-west-1")
    .optional(),
  SELLER_PILOT_KMS_ENDPOINT: httpUrl.optional(),
  SELLER_PILOT_LWA_CLIENT_ID: optionalText,
  SELLER_PILOT_LWA_CLIENT_SECRET: optionalText,
  SELLER_PILOT_APP_ID: optionalText,
  SELLER_PILOT_SPAPI_ENDPOINT: httpUrl.optional(),
  SELLER_PILOT_LWA_TOKEN_URL: httpUrl.optional(),
  // Demo mode only: a marker the demo sandbox embeds in every buyer name and address, for leak scans.
  SELLER_PILOT_SANDBOX_PII_CANARY: z
    .string()
    .trim()
    .min(4)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
  SELLER_PILOT_LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info"),
  SELLER_PILOT_SECURITY_CONTACT: securityContact.optional(),
  SELLER_PILOT_SECURITY_TXT_EXPIRES: z.iso.datetime({ offset: true }).optional(),
  // Days from revoked authorization / closure to deletion: the promise is "within 90 days".
  SELLER_PILOT_ACCOUNT_DELETION_GRACE_DAYS: z.coerce.number().int().min(0).max(90).default(90),
  // Incident response: who answers for incidents, planted canary orders, where alerts go.
  SELLER_PILOT_INCIDENT_CONTACT: z.string().trim().min(1).max(200).optional(),
  SELLER_PILOT_INCIDENT_CANARY_ORDERS: z
    .string()
    .trim()
    .max(MAX)
    .regex(/^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64})*$/, "must be a comma-separated list of order ids")
    .optional(),
  SELLER_PILOT_ALERT_SMTP_URL: z
    .string()
    .trim()
    .max(MAX)
    .refine((value) => {
      try {
        const url = new URL(value);
        // The password has its own (secret) variable, so the URL can be shown by `doctor`.
        return (url.protocol === "smtp:" || url.protocol === "smtps:") && url.password === "";
      } catch {
        return false;
      }
    }, "must be smtp://[user@]host[:port] or smtps://… without a password")
    .optional(),
  SELLER_PILOT_ALERT_SMTP_PASSWORD: optionalText,
  SELLER_PILOT_ALERT_EMAIL_FROM: z.email().max(254).optional(),
  SELLER_PILOT_ALERT_EMAIL_TO: z
    .string()
    .trim()
    .max(MAX)
    .refine(
      (v) => v.split(",").every((a) => z.email().safeParse(a.trim()).success),
      "must be a comma-separated list of e-mail addresses",
    )
    .optional(),
  SELLER_PILOT_ALERT_WEBHOOK_URL: httpUrl.optional(),
  SELLER_PILOT_ALERT_WEBHOOK_SECRET: z.string().min(16).max(512).optional(),
});

export type EnvInput = z.infer<typeof envSchema>;

export function resolveDataDir(dataDir: string, cwd: string): string {
  return path.resolve(cwd, dataDir);
}
