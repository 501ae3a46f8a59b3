import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type AuthWorld, openAuthWorld } from "../../test/support/auth-world.js";
import { STORES, tempDir } from "../../test/support/stores.js";
import { loadConfig } from "../config/config.js";
import { CONTENT_SECURITY_POLICY } from "../http/security-headers.js";
import { MS } from "../platform/clock.js";
import { RETENTION_POLICY } from "./retention-policy.js";

const open: AuthWorld[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.t.close();
});

describe("the public /security page", () => {
  it("lists every data type of the policy table, needs no sign-in, and carries no inline script or style", async () => {
    // With a built web app present, whose fallback serves index.html for unknown HTML paths.
    const web = tempDir("sp-web-");
    writeFileSync(path.join(web.dir, "index.html"), "<!doctype html><title>spa</title>");
    const w = await openAuthWorld("sqlite", {
      webRoot: web.dir,
      env: { SELLER_PILOT_ACCOUNT_DELETION_GRACE_DAYS: "30" },
    });
    open.push(w);
    const res = await w.call({ method: "GET", url: "/security" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/html");
    expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY["style-src"]).toEqual(["'self'"]);
    const html = res.body;
    for (const p of RETENTION_POLICY) {
      expect(html).toContain(`data-type="${p.type}"`);
      expect(html).toContain(p.label);
    }
    expect(html).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
    // The page wins over the web app's fallback, also for a browser asking for HTML.
    const browser = await w.t.app.inject({
      method: "GET",
      url: "/security",
      headers: { accept: "text/html" },
    });
    expect(browser.body).toContain("Data &amp; Security");
    expect(browser.body).not.toContain("<title>spa</title>");
    // The configured grace period is what the page promises.
    expect(html).toContain("30 days (at most 90)");
    web.remove();
  });

  it("refuses a grace period longer than the 90 days promised", () => {
    expect(() => loadConfig({ SELLER_PILOT_ACCOUNT_DELETION_GRACE_DAYS: "91" }, "/tmp")).toThrow(
      /SELLER_PILOT_ACCOUNT_DELETION_GRACE_DAYS/,
    );
  });
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`retention routes on ${target.name}`, () => {
    it("the policy is readable by any signed-in user; holds need account:manage; deletion requests need account:delete", async () => {
      const w = await openAuthWorld(target.name);
      open.push(w);
      const owner = await w.person("owner", w.orgA, w.a1);
      const admin = await w.person("admin", w.orgA, w.a1);
      const analyst = await w.person("analyst", w.orgA, w.a1);
      const [o, a, n] = [await w.signIn(owner), await w.signIn(admin), await w.signIn(analyst)];

      const policy = await w.call({ method: "GET", url: "/api/retention/policy", as: n });
      expect(policy.statusCode).toBe(200);
      expect(policy.json().dataTypes.map((t: { type: string }) => t.type)).toEqual(
        RETENTION_POLICY.map((p) => p.type),
      );
      expect((await w.call({ method: "GET", url: "/api/retention/policy" })).statusCode).toBe(401);

      const holds = `/api/accounts/${w.a1}/legal-holds`;
      const body = {
        reason: "tax audit 2026",
        owner: "legal@agency.example",
        amazonOrderId: "111-0000001-0000001",
      };
      expect((await w.call({ method: "POST", url: holds, as: n, body })).statusCode).toBe(403);
      const expiresAt = new Date(w.t.clock.now().getTime() + 10 * MS.day).toISOString();
      const created = await w.call({ method: "POST", url: holds, as: a, body: { ...body, expiresAt } });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ active: true, amazonOrderId: "111-0000001-0000001", expiresAt });
      const past = await w.call({
        method: "POST",
        url: holds,
        as: a,
        body: { ...body, expiresAt: "2020-01-01T00:00:00Z" },
      });
      expect(past.statusCode).toBe(400);
      expect((await w.call({ method: "GET", url: holds, as: a })).json().holds).toHaveLength(1);
      // Another organisation's account does not even exist for this user.
      expect(
        (await w.call({ method: "GET", url: `/api/accounts/${w.b1}/legal-holds`, as: a })).statusCode,
      ).toBe(404);

      const holdUrl = `${holds}/${created.json().id}`;
      expect((await w.call({ method: "DELETE", url: holdUrl, as: a })).statusCode).toBe(204);
      const again = await w.call({ method: "DELETE", url: holdUrl, as: a });
      expect(again.statusCode).toBe(404);
      expect(again.json().error.code).toBe("LEGAL_HOLD_NOT_FOUND");
      expect((await w.call({ method: "GET", url: holds, as: a })).json().holds[0]).toMatchObject({
        active: false,
      });

      const requests = `/api/accounts/${w.a1}/deletion-request`;
      expect((await w.call({ method: "POST", url: requests, as: a })).statusCode).toBe(403);
      const asked = await w.call({ method: "POST", url: requests, as: o });
      expect(asked.statusCode).toBe(201);
      expect(asked.json()).toMatchObject({ kind: "request", status: "scheduled" });
      expect(Date.parse(asked.json().deadline) - Date.parse(asked.json().requestedAt)).toBe(30 * MS.day);
      const twice = await w.call({ method: "POST", url: requests, as: o });
      expect(twice.statusCode).toBe(409);
      expect(twice.json().error.code).toBe("DELETION_REQUEST_EXISTS");
      expect((await w.call({ method: "GET", url: requests, as: o })).json().requests).toHaveLength(1);

      await w.t.audit.flush();
      const actions = (
        await w.t.db
          .selectFrom("audit_entries")
          .select("action")
          .where("action", "like", "retention.%")
          .execute()
      ).map((r) => r.action);
      expect(actions).toEqual([
        "retention.legal_hold.create",
        "retention.legal_hold.release",
        "retention.deletion_request.create",
      ]);
    });
  });
}
