import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthWorld, openAuthWorld, PASSWORD, sessionCookieOf } from "../../test/support/auth-world.js";
import { OPERATOR } from "../../test/support/identity.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";

const PUBLIC_URL = "https://pilot.example";
const _COOKIE_FLAGS = /^__Host-sp_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/;

for (const target of STORES) {
  describe.skipIf(target.skip)(`team, token, audit and review routes over HTTP on ${target.name}`, () => {
    let w: AuthWorld;
    beforeAll(async () => {
      // The production limit: 10 a minute per IP (each call below comes from a fresh address unless it says).
      w = await openAuthWorld(target.name, {
        authRateLimit: 10,
        env: { SELLER_PILOT_PUBLIC_URL: PUBLIC_URL },
      });
    }, 60_000);
    afterAll(async () => {
      await w?.t.close();
    });

    async function auditOf(userId: string, action: string) {
      await w.t.audit.flush();
      const rows = await w.t.db
        .selectFrom("audit_entries")
        .select(["action", "outcome", "reason", "target"])
        .where("action", "=", action)
        .where("target", "like", `%${userId}%`)
        .execute();
      return rows;
    }

    it("an accepted invitation forces enrollment before any account route", async () => {
      const owner = await w.signIn(await w.person("owner", w.orgA, w.a1));
      const email = `new.hire.${Date.now()}@agency.example`;
      const invite = await w.call({
        method: "POST",
        url: `/api/accounts/${w.a1}/invitations`,
        as: owner,
        body: { email, role: "analyst" },
      });
      expect(invite.statusCode).toBe(201);
      const token = invite.json().token as string;

      const weak = await w.call({
        method: "POST",
        url: "/api/invitations/accept",
        body: { token, name: "Robin Hire", password: "short" },
      });
      expect(weak.json().error.code).toBe("PASSWORD_TOO_SHORT");
      const accepted = await w.call({
        method: "POST",
        url: "/api/invitations/accept",
        body: { token, name: "Robin Hire", password: PASSWORD },
      });
      expect(accepted.statusCode).toBe(200);
      expect(accepted.json()).toMatchObject({ next: "enroll_mfa" });
      const pending = { cookie: sessionCookieOf(accepted) ?? "", csrf: accepted.json().csrfToken as string };
      for (const url of ["/api/accounts", `/api/accounts/${w.a1}/members`, "/api/tokens"]) {
        const res = await w.call({ method: "GET", url, as: pending });
        expect(res.statusCode, url).toBe(401);
        expect(res.json().error.code).toBe("MFA_REQUIRED");
      }
      const reused = await w.call({
        method: "POST",
        url: "/api/invitations/accept",
        body: { token, name: "Robin Hire", password: PASSWORD },
      });
      expect(reused.json().error.code).toBe("INVITATION_USED");

      const hire = { id: "", email, totp: null };
      const signedIn = await w.signIn(hire);
      const accounts = await w.call({ method: "GET", url: "/api/accounts", as: signedIn });
      expect(accounts.json().accounts.map((a: { id: string; role: string }) => [a.id, a.role])).toEqual([
        [w.a1, "analyst"],
      ]);
    });

    it("an expired invitation is refused (410) and changes nothing", async () => {
      const owner = await w.signIn(await w.person("owner", w.orgA, w.a1));
      const invite = await w.call({
        method: "POST",
        url: `/api/accounts/${w.a1}/invitations`,
        as: owner,
        body: { email: `late.${Date.now()}@agency.example`, role: "viewer" },
      });
      w.t.clock.advance(73 * MS.hour);
      const res = await w.call({
        method: "POST",
        url: "/api/invitations/accept",
        body: { token: invite.json().token, name: "Late Person", password: PASSWORD },
      });
      expect(res.statusCode).toBe(410);
      expect(sessionCookieOf(res)).toBeNull();
    });

    it("refuses role escalation through the API (403 ROLE_ESCALATION, audited)", async () => {
      const adminPerson = await w.person("admin", w.orgA, w.a1);
      const admin = await w.signIn(adminPerson);
      const viewer = await w.person("viewer", w.orgA, w.a1);
      const res = await w.call({
        method: "PATCH",
        url: `/api/accounts/${w.a1}/members/${viewer.id}`,
        as: admin,
        body: { role: "owner" },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("ROLE_ESCALATION");
      const invite = await w.call({
        method: "POST",
        url: `/api/accounts/${w.a1}/invitations`,
        as: admin,
        body: { email: `x.${Date.now()}@agency.example`, role: "owner" },
      });
      expect(invite.json().error.code).toBe("ROLE_ESCALATION");
      expect((await auditOf(w.a1, "team.role.grant")).some((r) => r.reason === "ROLE_ESCALATION")).toBe(true);
      const ok = await w.call({
        method: "PATCH",
        url: `/api/accounts/${w.a1}/members/${viewer.id}`,
        as: admin,
        body: { role: "analyst" },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ userId: viewer.id, accountId: w.a1, role: "analyst" });
    });

    it("API tokens: created only from an MFA session, work as Bearer within their scope, 404 outside it", async () => {
      const ownerPerson = await w.person("owner", w.orgA, w.a1);
      await w.t.services.identity.grantRole(OPERATOR, {
        userId: ownerPerson.id,
        accountId: w.a2,
        role: "owner",
      });
      const owner = await w.signIn(ownerPerson);
      const create = await w.call({
        method: "POST",
        url: "/api/tokens",
        as: owner,
        body: { name: "script", accountIds: [w.a1], permissions: ["team:read"], ttlDays: 30 },
      });
      expect(create.statusCode).toBe(201);
      const token = create.json().token as string;
      expect(token).toMatch(/^spt_[A-Za-z0-9_-]{43}$/);

      const inScope = await w.call({ method: "GET", url: `/api/accounts/${w.a1}/members`, bearer: token });
      expect(inScope.statusCode).toBe(200);
      const outOfScope = await w.call({ method: "GET", url: `/api/accounts/${w.a2}/members`, bearer: token });
      expect(outOfScope.statusCode).toBe(404);
      expect(outOfScope.json().error.code).toBe("ACCOUNT_NOT_FOUND");
      const otherOrg = await w.call({ method: "GET", url: `/api/accounts/${w.b1}/members`, bearer: token });
      expect(otherOrg.statusCode).toBe(404);
      // Outside its permissions, even though the owner's role has them.
      const write = await w.call({
        method: "POST",
        url: `/api/accounts/${w.a1}/invitations`,
        bearer: token,
        body: { email: "a.b@agency.example", role: "viewer" },
      });
      expect(write.json().error.code).toBe("FORBIDDEN");
      const accounts = await w.call({ method: "GET", url: "/api/accounts", bearer: token });
      expect(accounts.json().accounts).toEqual([
        expect.objectContaining({ id: w.a1, permissions: ["team:read"] }),
      ]);

      // A token cannot mint tokens; a pending session cannot either.
      const byToken = await w.call({
        method: "POST",
        url: "/api/tokens",
        bearer: token,
        body: { name: "x", accountIds: [w.a1], permissions: ["team:read"], ttlDays: 1 },
      });
      expect(byToken.json().error.code).toBe("API_TOKEN_MFA_REQUIRED");
      const pending = await w.signInPending(ownerPerson);
      const byPending = await w.call({
        method: "POST",
        url: "/api/tokens",
        as: pending,
        body: { name: "x", accountIds: [w.a1], permissions: ["team:read"], ttlDays: 1 },
      });
      expect(byPending.statusCode).toBe(401);

      const list = await w.call({ method: "GET", url: "/api/tokens", as: owner });
      expect(list.body).not.toContain(token.slice(4));
      const revoke = await w.call({ method: "DELETE", url: `/api/tokens/${create.json().id}`, as: owner });
      expect(revoke.statusCode).toBe(204);
      const revoked = await w.call({ method: "GET", url: `/api/accounts/${w.a1}/members`, bearer: token });
      expect(revoked.json().error.code).toBe("API_TOKEN_REVOKED");
      expect(w.t.logs.text()).not.toContain(token.slice(4));
    });

    it("the audit viewer shows an owner only entries of their accounts; verify reports a valid chain", async () => {
      const owner = await w.signIn(await w.person("owner", w.orgA, w.a1));
      await w.t.audit.flush();
      const page = await w.call({ method: "GET", url: "/api/audit?limit=5", as: owner });
      expect(page.statusCode).toBe(200);
      const body = page.json();
      expect(body.entries.length).toBeGreaterThan(0);
      expect(body.entries.length).toBeLessThanOrEqual(5);
      for (const e of body.entries) expect(e.target.account).toBe(w.a1);
      const next = await w.call({
        method: "GET",
        url: `/api/audit?limit=5&cursor=${body.nextCursor}`,
        as: owner,
      });
      expect(next.json().entries[0].seq).toBeLessThan(body.entries.at(-1).seq);
      const viewer = await w.signIn(await w.person("viewer", w.orgA, w.a1));
      const refused = await w.call({ method: "GET", url: "/api/audit", as: viewer });
      expect(refused.statusCode).toBe(403);
      const verify = await w.call({ method: "POST", url: "/api/audit/verify", as: owner });
      expect(verify.json()).toMatchObject({ valid: true });
      expect(verify.json().checkedEntries).toBeGreaterThan(10);
    });

    it("access review: an owner opens, decides and completes; a viewer and another organisation are refused", async () => {
      const ownerPerson = await w.person("owner", w.orgB, w.b1);
      const owner = await w.signIn(ownerPerson);
      const member = await w.person("viewer", w.orgB, w.b1);
      const before = await w.call({ method: "GET", url: "/api/access-reviews", as: owner });
      expect(before.statusCode).toBe(200);
      expect(before.json().reviews).toEqual([
        expect.objectContaining({ organisationId: w.orgB, open: null }),
      ]);
      const foreign = await w.call({
        method: "POST",
        url: "/api/access-reviews",
        as: owner,
        body: { organisationId: w.orgA },
      });
      expect(foreign.statusCode).toBe(404);
      const opened = await w.call({
        method: "POST",
        url: "/api/access-reviews",
        as: owner,
        body: { organisationId: w.orgB },
      });
      expect(opened.statusCode).toBe(201);
      const reviewId = opened.json().id as string;
      const open = (await w.call({ method: "GET", url: "/api/access-reviews", as: owner })).json().reviews[0]
        .open;
      expect(open.id).toBe(reviewId);
      const items = open.items as { id: string; userId: string }[];
      expect(items.map((i) => i.userId)).toContain(member.id);
      const viewer = await w.signIn(member);
      expect((await w.call({ method: "GET", url: "/api/access-reviews", as: viewer })).statusCode).toBe(403);
      for (const item of items) {
        const decision = item.userId === member.id ? "revoke" : "confirm";
        const res = await w.call({
          method: "POST",
          url: `/api/access-reviews/${reviewId}/items/${item.id}`,
          as: owner,
          body: { decision },
        });
        expect(res.statusCode, res.body).toBe(200);
      }
      // Revoked: the member's role and session are gone at once.
      expect((await w.call({ method: "GET", url: "/api/accounts", as: viewer })).statusCode).toBe(401);
      const done = await w.call({
        method: "POST",
        url: `/api/access-reviews/${reviewId}/complete`,
        as: owner,
      });
      expect(done.statusCode).toBe(200);
      expect(done.json().completedAt).not.toBeNull();
    });
  });
}
