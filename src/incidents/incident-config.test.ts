import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/config.js";
import { isAppError } from "../platform/errors.js";

const cwd = "/srv/seller-pilot";

function problems(env: Record<string, string>): string {
  try {
    loadConfig(env, cwd);
  } catch (err) {
    if (isAppError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error("expected loadConfig to throw");
}

describe("incident configuration", () => {
  it("defaults to the security contact, no canaries and no alert channels", () => {
    const config = loadConfig({ SELLER_PILOT_SECURITY_CONTACT: "mailto:sec@example.com" }, cwd);
    expect(config.incidents).toEqual({
      contact: "mailto:sec@example.com",
      canaryOrderIds: [],
      email: null,
      webhook: null,
    });
  });

  it("reads the contact, canary orders, e-mail and webhook channels", () => {
    const config = loadConfig(
      {
        SELLER_PILOT_INCIDENT_CONTACT: "Dana (incident lead) +44 20 7946 0000",
        SELLER_PILOT_INCIDENT_CANARY_ORDERS: "902-0000000-0000001,CANARY_2",
        SELLER_PILOT_ALERT_SMTP_URL: "smtps://alerts@mail.example.com:465",
        SELLER_PILOT_ALERT_SMTP_PASSWORD: "p4ss-word",
        SELLER_PILOT_ALERT_EMAIL_FROM: "pilot@example.com",
        SELLER_PILOT_ALERT_EMAIL_TO: "oncall@example.com, sec@example.com",
        SELLER_PILOT_ALERT_WEBHOOK_URL: "https://hooks.example.com/incidents",
        SELLER_PILOT_ALERT_WEBHOOK_SECRET: "0123456789abcdef0123",
      },
      cwd,
    );
    expect(config.incidents).toEqual({
      contact: "Dana (incident lead) +44 20 7946 0000",
      canaryOrderIds: ["902-0000000-0000001", "CANARY_2"],
      email: {
        smtpUrl: "smtps://alerts@mail.example.com:465",
        password: "p4ss-word",
        from: "pilot@example.com",
        to: ["oncall@example.com", "sec@example.com"],
      },
      webhook: { url: "https://hooks.example.com/incidents", secret: "0123456789abcdef0123" },
    });
  });

  it("refuses half-configured channels, passwords in the SMTP URL, and never echoes the secrets", () => {
    expect(problems({ SELLER_PILOT_ALERT_SMTP_URL: "smtp://mail.example.com" })).toContain(
      "must be set together",
    );
    expect(problems({ SELLER_PILOT_ALERT_WEBHOOK_URL: "https://hooks.example.com/x" })).toContain(
      "SELLER_PILOT_ALERT_WEBHOOK_SECRET",
    );
    const inUrl = problems({ SELLER_PILOT_ALERT_SMTP_URL: "smtp://u:hunter2-secret@mail.example.com" });
    expect(inUrl).toContain("SELLER_PILOT_ALERT_SMTP_URL");
    expect(inUrl).not.toContain("hunter2");
    const shortSecret = problems({
      SELLER_PILOT_ALERT_WEBHOOK_URL: "https://hooks.example.com/x",
      SELLER_PILOT_ALERT_WEBHOOK_SECRET: "short-CANARY",
    });
    expect(shortSecret).toContain("SELLER_PILOT_ALERT_WEBHOOK_SECRET: invalid value");
    expect(shortSecret).not.toContain("short-CANARY");
    expect(problems({ SELLER_PILOT_INCIDENT_CANARY_ORDERS: "a b" })).toContain(
      "SELLER_PILOT_INCIDENT_CANARY_ORDERS",
    );
  });
});
