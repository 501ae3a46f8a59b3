import { describe, expect, it } from "vitest";
import { startDemoSandbox } from "./demo-sandbox.js";

describe("demo sandbox child", () => {
  it("starts the sandbox on loopback with two sellers and our redirect URI, and stops with us", async () => {
    const sandbox = await startDemoSandbox({
      piiCanary: "CANARYdemo42",
      credentialSeed: "seed-one",
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

  it("derives the same credentials from the same seed in a second process, and others from another seed", async () => {
    const start = (credentialSeed: string) =>
      startDemoSandbox({
        credentialSeed,
        redirectUri: "https://localhost:8443/api/connect/callback",
        orders: 20,
        execArgv: ["--import", "tsx"],
      });
    const [a, b, c] = await Promise.all([start("seed-one"), start("seed-one"), start("seed-two")]);
    try {
      const creds = (s: typeof a) => ({
        applicationId: s.info.applicationId,
        clientId: s.info.clientId,
        clientSecret: s.info.clientSecret,
        tokens: s.info.sellers.map((x) => x.refreshToken),
      });
      expect(creds(b)).toEqual(creds(a));
      expect(c.info.clientSecret).not.toBe(a.info.clientSecret);
      expect(c.info.sellers[0]?.refreshToken).not.toBe(a.info.sellers[0]?.refreshToken);
      // b's LWA accepts the refresh token a handed out: a CLI's sandbox serves the server's credentials.
      const seller = a.info.sellers[0];
      const res = await fetch(b.info.lwaTokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: seller?.refreshToken ?? "",
          client_id: a.info.clientId,
          client_secret: a.info.clientSecret,
        }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { access_token: string }).access_token).toMatch(/^Atza\|/);
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  }, 60_000);
});
