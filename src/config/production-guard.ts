import { DEVELOPMENT_SECURITY_CONTACT } from "./config-schema.js";
import type { Config } from "./config-types.js";

/** Every development default still in use, each named with the variable that replaces it. */
export function productionProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.masterKey.generateIfMissing && config.masterKey.kms === null) {
    problems.push(
      "master key: set SELLER_PILOT_MASTER_KEY_FILE or SELLER_PILOT_KMS_KEY_ID (a generated development key is not allowed)",
    );
  }
  if (config.masterKey.kms?.endpoint && !config.masterKey.kms.endpoint.startsWith("https://")) {
    problems.push("SELLER_PILOT_KMS_ENDPOINT: must be https://");
  }
  if (config.tls.kind === "self-signed") {
    problems.push(
      "TLS certificate: set SELLER_PILOT_TLS_CERT_FILE and SELLER_PILOT_TLS_KEY_FILE (self-signed certificates are not allowed)",
    );
  }
  if (config.lwa === null) {
    problems.push(
      "demo mode: set SELLER_PILOT_LWA_CLIENT_ID, SELLER_PILOT_LWA_CLIENT_SECRET and SELLER_PILOT_APP_ID (the built-in sandbox is not allowed)",
    );
  }
  if (config.publicUrl === null) {
    problems.push("public URL: set SELLER_PILOT_PUBLIC_URL to the https:// address users reach");
  } else if (!config.publicUrl.startsWith("https://")) {
    problems.push("public URL: SELLER_PILOT_PUBLIC_URL must be https:// (plaintext HTTP only redirects)");
  }
  for (const [name, url] of [
    ["SELLER_PILOT_SPAPI_ENDPOINT", config.spapi.endpoint],
    ["SELLER_PILOT_LWA_TOKEN_URL", config.spapi.lwaTokenUrl],
  ] as const) {
    if (url !== null && !url.startsWith("https://")) {
      problems.push(`${name}: must be https:// (outbound calls to Amazon require TLS 1.2+)`);
    }
  }
  if (config.security.contact === DEVELOPMENT_SECURITY_CONTACT) {
    problems.push(
      "security contact: set SELLER_PILOT_SECURITY_CONTACT (published in /.well-known/security.txt)",
    );
  }
  if (config.security.txtExpires === null) {
    problems.push(
      "security.txt expiry: set SELLER_PILOT_SECURITY_TXT_EXPIRES (RFC 9116 requires an Expires date)",
    );
  }
  return problems;
}
