import path from "node:path";
import { AppError } from "../platform/errors.js";
import {
  DEVELOPMENT_SECURITY_CONTACT,
  type EnvInput,
  envSchema,
  KNOWN_VARIABLES,
  resolveDataDir,
  SECRET_VARIABLES,
} from "./config-schema.js";
import type { Config, KmsConfig } from "./config-types.js";
import { productionProblems } from "./production-guard.js";

export type {
  Config,
  DatabaseConfig,
  Environment,
  IncidentConfig,
  KmsConfig,
  LwaCredentials,
  MasterKeyConfig,
  TlsConfig,
} from "./config-types.js";

function masterKeyConfig(e: EnvInput, dataDir: string, cwd: string): Config["masterKey"] {
  const kms: KmsConfig | null = e.SELLER_PILOT_KMS_KEY_ID
    ? {
        keyId: e.SELLER_PILOT_KMS_KEY_ID,
        region: e.SELLER_PILOT_KMS_REGION ?? null,
        endpoint: e.SELLER_PILOT_KMS_ENDPOINT ?? null,
      }
    : null;
  if (e.SELLER_PILOT_MASTER_KEY_FILE) {
    return {
      kind: "file",
      file: path.resolve(cwd, e.SELLER_PILOT_MASTER_KEY_FILE),
      generateIfMissing: kms !== null,
      kms,
    };
  }
  return {
    kind: "file",
    file: path.join(dataDir, kms ? "master.key.kms" : "master.key"),
    generateIfMissing: true,
    kms,
  };
}

/** Alert channels need all their parts: a half-configured channel is a CONFIG_INVALID, not a silent off. */
function incidentConfig(e: EnvInput): Config["incidents"] {
  const email = [
    e.SELLER_PILOT_ALERT_SMTP_URL,
    e.SELLER_PILOT_ALERT_EMAIL_FROM,
    e.SELLER_PILOT_ALERT_EMAIL_TO,
  ];
  const emailSet = email.filter((v) => v !== undefined).length;
  const webhookSet = [e.SELLER_PILOT_ALERT_WEBHOOK_URL, e.SELLER_PILOT_ALERT_WEBHOOK_SECRET].filter(
    (v) => v !== undefined,
  ).length;
  const problems: string[] = [];
  if (emailSet !== 0 && emailSet !== 3)
    problems.push(
      "SELLER_PILOT_ALERT_SMTP_URL, SELLER_PILOT_ALERT_EMAIL_FROM and SELLER_PILOT_ALERT_EMAIL_TO must be set together",
    );
  if (webhookSet === 1)
    problems.push(
      "SELLER_PILOT_ALERT_WEBHOOK_URL and SELLER_PILOT_ALERT_WEBHOOK_SECRET must be set together",
    );
  if (problems.length > 0)
    throw new AppError("CONFIG_INVALID", `Invalid configuration:\n  - ${problems.join("\n  - ")}`, {
      details: { problems },
    });
  return {
    contact:
      e.SELLER_PILOT_INCIDENT_CONTACT ?? e.SELLER_PILOT_SECURITY_CONTACT ?? DEVELOPMENT_SECURITY_CONTACT,
    canaryOrderIds: e.SELLER_PILOT_INCIDENT_CANARY_ORDERS?.split(",") ?? [],
    email:
      e.SELLER_PILOT_ALERT_SMTP_URL && e.SELLER_PILOT_ALERT_EMAIL_FROM && e.SELLER_PILOT_ALERT_EMAIL_TO
        ? {
            smtpUrl: e.SELLER_PILOT_ALERT_SMTP_URL,
            password: e.SELLER_PILOT_ALERT_SMTP_PASSWORD ?? null,
            from: e.SELLER_PILOT_ALERT_EMAIL_FROM,
            to: e.SELLER_PILOT_ALERT_EMAIL_TO.split(",").map((a) => a.trim()),
          }
        : null,
    webhook:
      e.SELLER_PILOT_ALERT_WEBHOOK_URL && e.SELLER_PILOT_ALERT_WEBHOOK_SECRET
        ? { url: e.SELLER_PILOT_ALERT_WEBHOOK_URL, secret: e.SELLER_PILOT_ALERT_WEBHOOK_SECRET }
        : null,
  };
}

function formatIssuePath(pathParts: readonly PropertyKey[]): string {
  return pathParts.map(String).join(".") || "(environment)";
}

/**
 * Parses the process environment once. Throws CONFIG_INVALID listing every malformed or unknown
 * variable, or CONFIG_UNSAFE_FOR_PRODUCTION listing every development default still in use.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, cwd: string): Config {
  const problems: string[] = [];
  for (const name of Object.keys(env)) {
    if (name.startsWith("SELLER_PILOT_") && !(KNOWN_VARIABLES as readonly string[]).includes(name)) {
      problems.push(`${name}: unknown variable (known: ${KNOWN_VARIABLES.join(", ")})`);
    }
  }
  const relevant: Record<string, string> = {};
  for (const name of KNOWN_VARIABLES) {
    const value = env[name];
    // An empty variable is the same as an unset one: shells and compose files produce them routinely.
    if (value !== undefined && value !== "") relevant[name] = value;
  }
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = formatIssuePath(issue.path);
      problems.push(`${name}: ${SECRET_VARIABLES.has(name) ? "invalid value" : issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) {
    throw new AppError("CONFIG_INVALID", `Invalid configuration:\n  - ${problems.join("\n  - ")}`, {
      details: { problems },
    });
  }
  const e = parsed.data;
  const dataDir = resolveDataDir(e.SELLER_PILOT_DATA_DIR, cwd);
  const production = e.SELLER_PILOT_ENV === "production";

  if ((e.SELLER_PILOT_TLS_CERT_FILE === undefined) !== (e.SELLER_PILOT_TLS_KEY_FILE === undefined)) {
    throw new AppError(
      "CONFIG_INVALID",
      "Invalid configuration:\n  - SELLER_PILOT_TLS_CERT_FILE and SELLER_PILOT_TLS_KEY_FILE must be set together",
      {
        details: {
          problems: ["SELLER_PILOT_TLS_CERT_FILE and SELLER_PILOT_TLS_KEY_FILE must be set together"],
        },
      },
    );
  }
  const lwaParts = [e.SELLER_PILOT_LWA_CLIENT_ID, e.SELLER_PILOT_LWA_CLIENT_SECRET, e.SELLER_PILOT_APP_ID];
  const lwaSet = lwaParts.filter((part) => part !== undefined).length;
  if (lwaSet !== 0 && lwaSet !== 3) {
    const message =
      "SELLER_PILOT_LWA_CLIENT_ID, SELLER_PILOT_LWA_CLIENT_SECRET and SELLER_PILOT_APP_ID must be set together";
    throw new AppError("CONFIG_INVALID", `Invalid configuration:\n  - ${message}`, {
      details: { problems: [message] },
    });
  }

  const config: Config = {
    env: e.SELLER_PILOT_ENV,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: "postgres", url: e.DATABASE_URL }
      : { kind: "sqlite", file: path.join(dataDir, "seller-pilot.db") },
    host: e.SELLER_PILOT_HOST ?? (production ? "0.0.0.0" : "localhost"),
    port: e.SELLER_PILOT_PORT,
    httpRedirectPort: e.SELLER_PILOT_HTTP_REDIRECT_PORT ?? null,
    publicUrl: e.SELLER_PILOT_PUBLIC_URL ? e.SELLER_PILOT_PUBLIC_URL.replace(/\/+$/, "") : null,
    tls:
      e.SELLER_PILOT_TLS_CERT_FILE && e.SELLER_PILOT_TLS_KEY_FILE
        ? {
            kind: "files",
            certFile: path.resolve(cwd, e.SELLER_PILOT_TLS_CERT_FILE),
            keyFile: path.resolve(cwd, e.SELLER_PILOT_TLS_KEY_FILE),
          }
        : {
            kind: "self-signed",
            certFile: path.join(dataDir, "tls", "dev-cert.pem"),
            keyFile: path.join(dataDir, "tls", "dev-key.pem"),
          },
    masterKey: masterKeyConfig(e, dataDir, cwd),
    lwa:
      e.SELLER_PILOT_LWA_CLIENT_ID && e.SELLER_PILOT_LWA_CLIENT_SECRET && e.SELLER_PILOT_APP_ID
        ? {
            clientId: e.SELLER_PILOT_LWA_CLIENT_ID,
            clientSecret: e.SELLER_PILOT_LWA_CLIENT_SECRET,
            appId: e.SELLER_PILOT_APP_ID,
          }
        : null,
    spapi: {
      endpoint: e.SELLER_PILOT_SPAPI_ENDPOINT ?? null,
      lwaTokenUrl: e.SELLER_PILOT_LWA_TOKEN_URL ?? null,
    },
    demo: { piiCanary: e.SELLER_PILOT_SANDBOX_PII_CANARY ?? null },
    logLevel: e.SELLER_PILOT_LOG_LEVEL,
    security: {
      contact: e.SELLER_PILOT_SECURITY_CONTACT ?? DEVELOPMENT_SECURITY_CONTACT,
      txtExpires: e.SELLER_PILOT_SECURITY_TXT_EXPIRES ?? null,
    },
    retention: { accountGraceDays: e.SELLER_PILOT_ACCOUNT_DELETION_GRACE_DAYS },
    incidents: incidentConfig(e),
  };

  if (production) {
    const unsafe = productionProblems(config);
    if (unsafe.length > 0) {
      throw new AppError(
        "CONFIG_UNSAFE_FOR_PRODUCTION",
        `SELLER_PILOT_ENV=production refuses development defaults:\n  - ${unsafe.join("\n  - ")}`,
        { details: { problems: unsafe } },
      );
    }
  }
  return config;
}

export function isDemoMode(config: Pick<Config, "lwa">): boolean {
  return config.lwa === null;
}
