/** The parsed configuration. Produced once by loadConfig() and passed to whatever needs a part of it. */
export type Environment = "development" | "production";

export type DatabaseConfig = { kind: "sqlite"; file: string } | { kind: "postgres"; url: string };

export type TlsConfig =
  | { kind: "files"; certFile: string; keyFile: string }
  /** Development only: generated under the data dir, refused in production. */
  | { kind: "self-signed"; certFile: string; keyFile: string };

export type MasterKeyConfig =
  | { kind: "file"; file: string; generateIfMissing: false }
  /** Development only: generated on first start, refused in production. */
  | { kind: "file"; file: string; generateIfMissing: true };

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
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  security: { contact: string; txtExpires: string | null };
}
