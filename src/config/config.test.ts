import path from "node:path";
import { describe, expect, it } from "vitest";
import { AppError } from "../platform/errors.js";
import { loadConfig } from "./config.js";

const cwd = "/srv/seller-pilot";

function failure(env: Record<string, string>): AppError {
  try {
    loadConfig(env, cwd);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected loadConfig to throw");
}

const productionReady = {
  SELLER_PILOT_ENV: "production",
  SELLER_PILOT_MASTER_KEY_FILE: "/etc/seller-pilot/master.key",
  SELLER_PILOT_TLS_CERT_FILE: "/etc/seller-pilot/tls.crt",
  SELLER_PILOT_TLS_KEY_FILE: "/etc/seller-pilot/tls.key",
  SELLER_PILOT_LWA_CLIENT_ID: "amzn1.application-oa2-client.abc",
  SELLER_PILOT_LWA_CLIENT_SECRET: "amzn1.oa2-cs.v1.CANARYSECRET",
  SELLER_PILOT_APP_ID: "amzn1.sp.solution.abc",
  SELLER_PILOT_PUBLIC_URL: "https://pilot.example.com/",
  SELLER_PILOT_SECURITY_CONTACT: "mailto:security@example.com",
  SELLER_PILOT_SECURITY_TXT_EXPIRES: "2027-06-30T00:00:00Z",
};

describe("loadConfig", () => {
  it("gives a development setup with every default under the data dir", () => {
    const config = loadConfig({}, cwd);
    expect(config.env).toBe("development");
    expect(config.dataDir).toBe(path.join(cwd, "data"));
    expect(config.database).toEqual({ kind: "sqlite", file: path.join(cwd, "data", "seller-pilot.db") });
    expect(config.port).toBe(8443);
    expect(config.host).toBe("localhost");
    expect(config.httpRedirectPort).toBeNull();
    expect(config.tls.kind).toBe("self-signed");
    expect(config.masterKey).toEqual({
      kind: "file",
      file: path.join(cwd, "data", "master.key"),
      generateIfMissing: true,
      kms: null,
    });
    expect(config.lwa).toBeNull();
  });

  it("switches to PostgreSQL with DATABASE_URL and treats empty variables as unset", () => {
    const config = loadConfig(
      { DATABASE_URL: "postgres://u:p@db:5432/sp", SELLER_PILOT_PUBLIC_URL: "" },
      cwd,
    );
    expect(config.database).toEqual({ kind: "postgres", url: "postgres://u:p@db:5432/sp" });
    expect(config.publicUrl).toBeNull();
  });

  it("reports every malformed and unknown variable in one error", () => {
    const err = failure({
      SELLER_PILOT_PORT: "eighty",
      SELLER_PILOT_LOG_LEVEL: "loud",
      SELLER_PILOT_MASTER_KEYFILE: "/typo",
      SELLER_PILOT_SECURITY_CONTACT: "call us",
      OTHER_TOOL_SETTING: "ignored",
    });
    expect(err.code).toBe("CONFIG_INVALID");
    const problems = err.details?.problems as string[];
    expect(problems).toHaveLength(4);
    expect(err.message).toContain("SELLER_PILOT_PORT");
    expect(err.message).toContain("SELLER_PILOT_LOG_LEVEL");
    expect(err.message).toContain("SELLER_PILOT_MASTER_KEYFILE: unknown variable");
    expect(err.message).toContain("SELLER_PILOT_SECURITY_CONTACT");
    expect(err.message).not.toContain("OTHER_TOOL_SETTING");
  });

  it("never echoes a secret value in its errors", () => {
    const err = failure({ DATABASE_URL: "mysql://root:CANARY-PASSWORD@db/sp" });
    expect(err.message).toContain("DATABASE_URL: invalid value");
    expect(err.message).not.toContain("CANARY-PASSWORD");
  });

  it("refuses half-configured pairs", () => {
    expect(failure({ SELLER_PILOT_TLS_CERT_FILE: "/a.crt" }).message).toContain("must be set together");
    expect(failure({ SELLER_PILOT_LWA_CLIENT_ID: "x" }).message).toContain("must be set together");
  });

  it("refuses every development default in production, naming each in one message", () => {
    const err = failure({ SELLER_PILOT_ENV: "production" });
    expect(err.code).toBe("CONFIG_UNSAFE_FOR_PRODUCTION");
    for (const name of [
      "SELLER_PILOT_MASTER_KEY_FILE",
      "SELLER_PILOT_TLS_CERT_FILE",
      "SELLER_PILOT_LWA_CLIENT_ID",
      "SELLER_PILOT_PUBLIC_URL",
      "SELLER_PILOT_SECURITY_CONTACT",
      "SELLER_PILOT_SECURITY_TXT_EXPIRES",
    ]) {
      expect(err.message).toContain(name);
    }
    expect(err.details?.problems).toHaveLength(6);
  });

  it("refuses plaintext URLs in production", () => {
    const err = failure({
      ...productionReady,
      SELLER_PILOT_PUBLIC_URL: "http://pilot.example.com",
      SELLER_PILOT_SPAPI_ENDPOINT: "http://127.0.0.1:9000",
    });
    expect(err.details?.problems).toHaveLength(2);
    expect(err.message).toContain("SELLER_PILOT_PUBLIC_URL must be https://");
    expect(err.message).toContain("SELLER_PILOT_SPAPI_ENDPOINT: must be https://");
  });

  it("accepts a complete production configuration", () => {
    const config = loadConfig(productionReady, cwd);
    expect(config.env).toBe("production");
    expect(config.host).toBe("0.0.0.0");
    expect(config.publicUrl).toBe("https://pilot.example.com");
    expect(config.tls).toEqual({
      kind: "files",
      certFile: "/etc/seller-pilot/tls.crt",
      keyFile: "/etc/seller-pilot/tls.key",
    });
    expect(config.masterKey.generateIfMissing).toBe(false);
    expect(config.lwa?.appId).toBe("amzn1.sp.solution.abc");
  });
});

describe("KMS configuration", () => {
  it("keeps a KMS-wrapped master key file, allowed in production", () => {
    const config = loadConfig(
      {
        ...productionReady,
        SELLER_PILOT_MASTER_KEY_FILE: "",
        SELLER_PILOT_KMS_KEY_ID:
          "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        SELLER_PILOT_KMS_REGION: "eu-west-1",
      },
      cwd,
    );
    expect(config.masterKey).toEqual({
      kind: "file",
      file: path.join(cwd, "data", "master.key.kms"),
      generateIfMissing: true,
      kms: {
        keyId: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        region: "eu-west-1",
        endpoint: null,
      },
    });
  });

  it("refuses malformed KMS key ids and regions", () => {
    const err = failure({ SELLER_PILOT_KMS_KEY_ID: "my key", SELLER_PILOT_KMS_REGION: "Europe" });
    expect(err.details?.problems).toHaveLength(2);
  });
});
