import { afterEach, describe, expect, it } from "vitest";
import { type CredentialsFixture, openCredentialsFixture } from "../../test/support/identity-credentials.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { hashToken, SESSION_POLICY } from "./sessions.js";

const open: CredentialsFixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`sessions on ${target.name}`, () => {
    async function fixture() {
      const f = await openCredentialsFixture(target.name);
      open.push(f);
      return f;
    }

    /** A signed-in session (pending -> second factor done). */
    async function signedIn(f: CredentialsFixture, userId = "u1") {
      const pending = await f.sessions.start(userId);
      return f.sessions.completeMfa(pending.token);
    }

    it("issues 32-byte opaque tokens and stores only their SHA-256", async () => {
      const f = await fixture();
      const { token, session } = await f.sessions.start("u1");
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, "base64url")).toHaveLength(32);
      const row = await f.db.selectFrom("sessions").selectAll().executeTakeFirstOrThrow();
      expect(row.token_hash).toBe(hashToken(token));
      expect(JSON.stringify(row)).not.toContain(token);
      expect(session).toMatchObject({ state: "pending_mfa", mfaVerified: false });
      expect(JSON.stringify(f.events)).not.toContain(token);
    });

    it("never treats a pending session as signed in", async () => {
      const f = await fixture();
      const pending = await f.sessions.start("u1");
      await expect(f.sessions.authenticate(pending.token)).rejects.toMatchObject({ code: "MFA_REQUIRED" });
      await expect(f.sessions.rotate(pending.token)).rejects.toMatchObject({ code: "MFA_REQUIRED" });
      expect(await f.sessions.authenticatePending(pending.token)).toMatchObject({ userId: "u1" });
      const active = await f.sessions.completeMfa(pending.token);
      expect(active.session).toMatchObject({ state: "active", mfaVerified: true, userId: "u1" });
      expect(active.session.id).not.toBe(pending.session.id);
      // The pending token died with the rotation; the new one is signed in.
      await expect(f.sessions.authenticatePending(pending.token)).rejects.toMatchObject({
        code: "SESSION_INVALID",
      });
      await expect(f.sessions.completeMfa(pending.token)).rejects.toMatchObject({ code: "SESSION_INVALID" });
      expect(await f.sessions.authenticate(active.token)).toMatchObject({ id: active.session.id });
      await expect(f.sessions.authenticatePending(active.token)).rejects.toMatchObject({
        code: "SESSION_INVALID",
      });
    });

    it("expires after 30 idle minutes, and activity keeps it alive", async () => {
      const f = await fixture();
      const { token } = await signedIn(f);
      f.clock.advance(SESSION_POLICY.idleMs - 1);
      await f.sessions.authenticate(token);
      f.clock.advance(SESSION_POLICY.idleMs - 1);
      await f.sessions.authenticate(token);
      f.clock.advance(SESSION_POLICY.idleMs);
      await expect(f.sessions.authenticate(token)).rejects.toMatchObject({ code: "SESSION_EXPIRED" });
      // Gone for good, not merely refused.
      await expect(f.sessions.authenticate(token)).rejects.toMatchObject({ code: "SESSION_INVALID" });
    });

    it("writes last-seen at most once a minute", async () => {
      const f = await fixture();
      const { token, session } = await signedIn(f);
      f.clock.advance(SESSION_POLICY.touchIntervalMs - 1);
      expect((await f.sessions.authenticate(token)).lastSeenAt).toBe(session.lastSeenAt);
      f.clock.advance(1);
      expect((await f.sessions.authenticate(token)).lastSeenAt).toBe(f.clock.now().toISOString());
      const row = await f.db.selectFrom("sessions").select("last_seen_at").executeTakeFirstOrThrow();
      expect(row.last_seen_at).toBe(f.clock.now().toISOString());
    });

    it("expires 12 hours after sign-in however active it is", async () => {
      const f = await fixture();
      const { token } = await signedIn(f);
      let elapsed = 0;
      while (elapsed + 20 * MS.minute < SESSION_POLICY.absoluteMs) {
        f.clock.advance(20 * MS.minute);
        elapsed += 20 * MS.minute;
        await f.sessions.authenticate(token);
      }
      f.clock.advance(SESSION_POLICY.absoluteMs - elapsed);
      await expect(f.sessions.authenticate(token)).rejects.toMatchObject({ code: "SESSION_EXPIRED" });
    });

    it("rotation keeps the absolute deadline and invalidates the old token", async () => {
      const f = await fixture();
      const first = await signedIn(f);
      f.clock.advance(20 * MS.minute);
      const second = await f.sessions.rotate(first.token);
      expect(second.token).not.toBe(first.token);
      expect(second.session.absoluteExpiresAt).toBe(first.session.absoluteExpiresAt);
      await expect(f.sessions.authenticate(first.token)).rejects.toMatchObject({ code: "SESSION_INVALID" });
      await expect(f.sessions.rotate(first.token)).rejects.toMatchObject({ code: "SESSION_INVALID" });
      expect(await f.sessions.authenticate(second.token)).toMatchObject({ userId: "u1" });
    });

    it("revokes one session, or all of a user's ('sign out everywhere')", async () => {
      const f = await fixture();
      const a = await signedIn(f);
      const b = await signedIn(f);
      const other = await signedIn(f, "u2");
      await f.sessions.revoke(a.token);
      await expect(f.sessions.authenticate(a.token)).rejects.toMatchObject({ code: "SESSION_INVALID" });
      await f.sessions.authenticate(b.token);
      const c = await signedIn(f);
      expect(await f.sessions.revokeAll("u1", "u1")).toBe(2);
      for (const t of [b.token, c.token]) {
        await expect(f.sessions.authenticate(t)).rejects.toMatchObject({ code: "SESSION_INVALID" });
      }
      await f.sessions.authenticate(other.token);
      expect(f.events.find((e) => e.action === "session.revoke_all")).toMatchObject({
        target: { user: "u1", sessions: "2" },
      });
    });

    it("refuses tokens of every wrong shape, audited, without a stack of errors", async () => {
      const f = await fixture();
      const { token } = await signedIn(f);
      const wrong = [
        "",
        "x",
        `${token}=`,
        `${token.slice(0, -1)}`,
        `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`,
        token.replace(/./, "+"),
        hashToken(token),
        null,
        undefined,
        42,
        { token },
        [token],
        "a".repeat(100_000),
      ];
      for (const bad of wrong) {
        await expect(f.sessions.authenticate(bad)).rejects.toMatchObject({ code: "SESSION_INVALID" });
      }
      expect(f.events.filter((e) => e.reason === "SESSION_INVALID")).toHaveLength(wrong.length);
    });

    it("issues per-session CSRF tokens that another session's token cannot pass", async () => {
      const f = await fixture();
      const a = await signedIn(f);
      const b = await signedIn(f, "u2");
      const tokenA = f.sessions.csrfToken(a.session);
      expect(tokenA).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(f.sessions.csrfToken(a.session)).toBe(tokenA);
      await f.sessions.verifyCsrf(a.session, tokenA);
      await expect(f.sessions.verifyCsrf(b.session, tokenA)).rejects.toMatchObject({
        code: "CSRF_TOKEN_INVALID",
        status: 403,
      });
      for (const bad of ["", tokenA.slice(1), `${tokenA}x`, null, 7, tokenA.toUpperCase()]) {
        await expect(f.sessions.verifyCsrf(a.session, bad)).rejects.toMatchObject({
          code: "CSRF_TOKEN_INVALID",
        });
      }
      // Rotation gives a new session id, so the old CSRF token stops working too.
      const rotated = await f.sessions.rotate(a.token);
      await expect(f.sessions.verifyCsrf(rotated.session, tokenA)).rejects.toMatchObject({
        code: "CSRF_TOKEN_INVALID",
      });
      await f.sessions.verifyCsrf(rotated.session, f.sessions.csrfToken(rotated.session));
    });

    it("purges sessions past either timeout", async () => {
      const f = await fixture();
      await signedIn(f);
      const kept = await signedIn(f, "u2");
      f.clock.advance(SESSION_POLICY.idleMs - MS.minute);
      await f.sessions.authenticate(kept.token);
      f.clock.advance(2 * MS.minute);
      expect(await f.sessions.purgeExpired()).toBe(1);
      expect((await f.sessions.list("u2")).map((s) => s.id)).toEqual([kept.session.id]);
    });
  });
}
