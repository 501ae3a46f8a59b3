import { afterEach, describe, expect, it } from "vitest";
import { type CredentialsFixture, openCredentialsFixture } from "../../test/support/identity-credentials.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { createCredentialRevoker, revokeAllForUser } from "./credentials-service.js";
import { hashToken } from "./sessions.js";

const open: CredentialsFixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.dispose();
});

const scopes = { accounts: ["acct-2", "acct-1"], permissions: ["orders.read"] };

for (const target of STORES) {
  describe.skipIf(target.skip)(`API tokens on ${target.name}`, () => {
    async function fixture() {
      const f = await openCredentialsFixture(target.name);
      open.push(f);
      const pending = await f.sessions.start("u1");
      const active = await f.sessions.completeMfa(pending.token);
      return { f, session: active.session, sessionToken: active.token };
    }

    it("creates a prefixed token, shown once, stored as a hash, scoped and expiring", async () => {
      const { f, session } = await fixture();
      const { token, info } = await f.apiTokens.create(session, {
        name: "nightly export",
        scopes,
        ttlMs: 30 * MS.day,
      });
      expect(token).toMatch(/^spt_[A-Za-z0-9_-]{43}$/);
      const row = await f.db.selectFrom("api_tokens").selectAll().executeTakeFirstOrThrow();
      expect(row.token_hash).toBe(hashToken(token));
      expect(JSON.stringify(row)).not.toContain(token.slice(4));
      expect(JSON.stringify(f.events)).not.toContain(token.slice(4));
      expect(info).toMatchObject({
        userId: "u1",
        scopes: { accounts: ["acct-1", "acct-2"], permissions: ["orders.read"] },
      });
      expect(await f.apiTokens.authenticate(token)).toMatchObject({
        id: info.id,
        userId: "u1",
        scopes: { accounts: ["acct-1", "acct-2"], permissions: ["orders.read"] },
        lastUsedAt: f.clock.now().toISOString(),
      });
      // Within a minute, use is not written again (no write per request); after it, it is.
      const first = f.clock.now().toISOString();
      f.clock.advance(59_000);
      expect((await f.apiTokens.authenticate(token)).lastUsedAt).toBe(first);
      f.clock.advance(1_000);
      expect((await f.apiTokens.authenticate(token)).lastUsedAt).toBe(f.clock.now().toISOString());
    });

    it("refuses creation from a session without a completed second factor", async () => {
      const { f } = await fixture();
      const pending = await f.sessions.start("u1");
      await expect(
        f.apiTokens.create(pending.session, { name: "x", scopes, ttlMs: MS.day }),
      ).rejects.toMatchObject({ code: "API_TOKEN_MFA_REQUIRED", status: 403 });
      await expect(
        f.apiTokens.create(
          { id: "s", userId: "u1", mfaVerified: "yes" as unknown as boolean },
          { name: "x", scopes, ttlMs: MS.day },
        ),
      ).rejects.toMatchObject({ code: "API_TOKEN_MFA_REQUIRED" });
      expect(await f.db.selectFrom("api_tokens").selectAll().execute()).toEqual([]);
      expect(f.events.filter((e) => e.reason === "API_TOKEN_MFA_REQUIRED")).toHaveLength(2);
    });

    it("bounds the lifetime to 1 hour .. 365 days and expires by the clock", async () => {
      const { f, session } = await fixture();
      for (const ttlMs of [0, -1, MS.hour - 1, 365 * MS.day + 1, 1.5, Number.NaN]) {
        await expect(f.apiTokens.create(session, { name: "x", scopes, ttlMs })).rejects.toMatchObject({
          code: "API_TOKEN_TTL_INVALID",
        });
      }
      const { token } = await f.apiTokens.create(session, { name: "x", scopes, ttlMs: MS.hour });
      f.clock.advance(MS.hour - 1);
      await f.apiTokens.authenticate(token);
      f.clock.advance(1);
      await expect(f.apiTokens.authenticate(token)).rejects.toMatchObject({ code: "API_TOKEN_EXPIRED" });
      await f.apiTokens.create(session, { name: "year", scopes, ttlMs: 365 * MS.day });
    });

    it("refuses empty, unknown or malformed scopes", async () => {
      const { f, session } = await fixture();
      const bad = [
        { accounts: [], permissions: ["orders.read"] },
        { accounts: ["acct-1"], permissions: [] },
        { accounts: ["acct-1"], permissions: ["orders.write"] },
        { accounts: ["acct-1"], permissions: ["ORDERS.READ"] },
        { accounts: ["acct 1"], permissions: ["orders.read"] },
        { accounts: ["a".repeat(65)], permissions: ["orders.read"] },
        { accounts: [1], permissions: ["orders.read"] },
        null,
        { accounts: "acct-1", permissions: "orders.read" },
      ];
      for (const s of bad) {
        await expect(
          f.apiTokens.create(session, { name: "x", scopes: s as typeof scopes, ttlMs: MS.day }),
        ).rejects.toMatchObject({ code: "API_TOKEN_SCOPE_INVALID" });
      }
    });

    it("revokes one token; other users cannot revoke it", async () => {
      const { f, session } = await fixture();
      const { token, info } = await f.apiTokens.create(session, { name: "x", scopes, ttlMs: MS.day });
      await expect(f.apiTokens.revoke("u2", info.id, "u2")).rejects.toMatchObject({
        code: "API_TOKEN_NOT_FOUND",
      });
      await f.apiTokens.authenticate(token);
      await f.apiTokens.revoke("u1", info.id, "u1");
      await expect(f.apiTokens.authenticate(token)).rejects.toMatchObject({ code: "API_TOKEN_REVOKED" });
      await expect(f.apiTokens.revoke("u1", info.id, "u1")).rejects.toMatchObject({
        code: "API_TOKEN_NOT_FOUND",
      });
      expect((await f.apiTokens.list("u1"))[0]?.revokedAt).toBe(f.clock.now().toISOString());
    });

    it("refuses tokens of every wrong shape", async () => {
      const { f, session } = await fixture();
      const { token } = await f.apiTokens.create(session, { name: "x", scopes, ttlMs: MS.day });
      for (const bad of [
        "",
        "spt_",
        token.slice(4),
        `${token}A`,
        token.replace("spt_", "sp_"),
        `spt_${"A".repeat(43)}`,
        null,
        1,
      ]) {
        await expect(f.apiTokens.authenticate(bad)).rejects.toMatchObject({ code: "API_TOKEN_INVALID" });
      }
    });

    it("offboarding revokes every token and session of the user at once", async () => {
      const { f, session, sessionToken } = await fixture();
      const a = await f.apiTokens.create(session, { name: "a", scopes, ttlMs: MS.day });
      const b = await f.apiTokens.create(session, { name: "b", scopes, ttlMs: MS.day });
      const pending = await f.sessions.start("u1");
      const other = await f.sessions.completeMfa((await f.sessions.start("u2")).token);
      const otherToken = await f.apiTokens.create(other.session, { name: "c", scopes, ttlMs: MS.day });
      // Inside the caller's transaction, as disabling a user does it.
      const counts = await f.db.transaction().execute((trx) => revokeAllForUser(trx, "u1", f.clock.now()));
      expect(counts).toEqual({ sessions: 2, apiTokens: 2 });
      await createCredentialRevoker(f.clock)(f.db, "u1");
      for (const t of [a.token, b.token]) {
        await expect(f.apiTokens.authenticate(t)).rejects.toMatchObject({ code: "API_TOKEN_REVOKED" });
      }
      await expect(f.sessions.authenticate(sessionToken)).rejects.toMatchObject({ code: "SESSION_INVALID" });
      await expect(f.sessions.authenticatePending(pending.token)).rejects.toMatchObject({
        code: "SESSION_INVALID",
      });
      await f.apiTokens.authenticate(otherToken.token);
      await f.sessions.authenticate(other.token);
    });
  });
}
