import { describe, expect, it } from "vitest";
import { startDemoSandbox } from "./demo-sandbox.js";

describe("demo sandbox child", () => {
  it("starts the sandbox on loopback with two sellers and our redirect URI, and stops with us", async () => {
    const sandbox = await startDemoSandbox({
      env: { PATH: process.env.PATH, SELLER_PILOT_SANDBOX_PII_CANARY: "CANARYdemo42" },
      redirectUri: "https://localhost:8443/api/connect/callback",
      orders: 50,
      execArgv: ["--import", "tsx"],
    });
    try {
      expect(new URL(sandbox.info.endpoint).hostname).toBe("127.0.0.1");
      expect(sandbox.info.sellers).toHaveLength(2);
      const consent = new URL(sandbox.info.consentUrl);
      consent.searchParams.set("application_id", sandbox.info.applicationId);
      consent.searchParams.set("state", "s1");
      const res = await fetch(consent, { redirect: "manual" });
      expect(res.headers.get("location")).toMatch(
        /^https:\/\/localhost:8443\/api\/connect\/callback\?state=s1&/,
      );
    } finally {
      await sandbox.stop();
    }
    await expect(fetch(`${sandbox.info.endpoint}/`)).rejects.toThrow();
  }, 60_000);
});
