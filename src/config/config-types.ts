/** The parsed configuration. Produced once by loadConfig() and passed to whatever needs a part of it. */
export type Environment = "development" | "production";

export type DatabaseConfig = { kind: "sqlite"; file: string } | { kind: "postgres"; url: string };

export type TlsConfig =
  | { kind: "files"; certFile: string; keyFile: string }
  /** Development only: generated under the data dir, refused in production. */
  | { kind: "self-signed"; certFile: string; keyFile: string };

export interface KmsConfig {
  keyId: string;
  region: string | null;
  /** A KMS-compatible endpoint override; AWS's own when null. */
  endpoint: string | null;
}

export interface MasterKeyConfig {
  kind: "file";
  file: string;
  /**
   * Development: a plaintext key file is generated on first start (refused in production).
   * With KMS the file holds only KMS ciphertext, so generating it is safe everywhere.
   */
  generateIfMissing: boolean;
  /** When set, the master key file is wrapped by this KMS key and data keys are wrapped by KMS. */
  kms: KmsConfig | null;
}

export interface LwaCredentials {
  clientId: string;
  clientSecret: string;
  appId: string;
}

export interface Config {
  env: Environment;
  dataDir: string;
  database: DatabaseConfig;
  host: string;
  port: number;
  httpRedirectPort: number | null;
  /** The externally visible origin; null in development when not set (derived from the request). */
  publicUrl: string | null;
  tls: TlsConfig;
  masterKey: MasterKeyConfig;
  /** null = demo mode: no Amazon credentials, the built-in sandbox stands in for Amazon. */
  lwa: LwaCredentials | null;
  spapi: { endpoint: string | null; lwaTokenUrl: string | null };
  /** Demo mode (no LWA credentials): the built-in sandbox's PII canary, if any. */
  demo: { piiCanary: string | null };
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  security: { contact: string; txtExpires: string | null };
  /** Retention (src/retention); optional so hand-built configs in tests keep the 90-day default. */
  retention?: { accountGraceDays: number };
  incidents: IncidentConfig;
}

/** Incident response: the point of contact, canary orders and alert channels (null: channel off). */
export interface IncidentConfig {
  contact: string;
  canaryOrderIds: string[];
  email: { smtpUrl: string; password: string | null; from: string; to: string[] } | null;
  webhook: { url: string; secret: string } | null;
}
