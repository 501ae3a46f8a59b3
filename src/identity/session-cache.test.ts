import { afterEach, describe, expect, it } from "vitest";
import { type CredentialsFixture, openCredentialsFixture } from "../../test/support/identity-credentials.js";
import { STORES } from "../../test/support/stores.js";
import { newId } from "../platform/ids.js";
import { CREDENTIAL_CACHE_TTL_MS } from "./credential-cache.js";
import { revokeAllForUser } from "./credentials-service.js";
import { SESSION_POLICY } from "./sessions.js";

const open: CredentialsFixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`session cache on ${target.name}`, () => {
    /** A signed-in session of a fresh user, looked up once so that it sits in the cache. */
    async function cachedSession() {
      const f = await openCredentialsFixture(target.name);
      open.push(f);
      const userId = newId();
      const active = await f.sessions.completeMfa((await f.sessions.start(userId)).token);
      await f.sessions.authenticate(active.token);
      return { f, userId, token: active.token, session: active.session };
    }

    it("serves a session from memory for at most the TTL when another process ends it", async () => {
      const { f, token, session } = await cachedSession();
      // Another instance signs the user out by deleting the row: this process is not told.
      await f.db.deleteFrom("sessions").where("id", "=", session.id).execute();
      f.clock.advance(CREDENTIAL_CACHE_TTL_MS - 1);
      await expect(f.sessions.authenticate(token)).resolves.toMatchObject({ id: session.id });
      f.clock.advance(1);
      await expect(f.sessions.authenticate(token)).rejects.toMatchObject({ code: "SESSION_INVALID" });
    });

    it("sign-out, sign-out everywhere, rotation and offboarding end a cached session at once", async () => {
      const signOut = await cachedSession();
      await signOut.f.sessions.revoke(signOut.token);
      await expect(signOut.f.sessions.authenticate(signOut.token)).rejects.toMatchObject({
        code: "SESSION_INVALID",
      });

      const everywhere = await cachedSession();
      await everywhere.f.sessions.revokeAll(everywhere.userId, "test");
      await expect(everywhere.f.sessions.authenticate(everywhere.token)).rejects.toMatchObject({
        code: "SESSION_INVALID",
      });

      const rotated = await cachedSession();
      const next = await rotated.f.sessions.rotate(rotated.token);
      await expect(rotated.f.sessions.authenticate(rotated.token)).rejects.toMatchObject({
        code: "SESSION_INVALID",
      });
      await expect(rotated.f.sessions.authenticate(next.token)).resolves.toMatchObject({
        id: next.session.id,
      });

      const offboarded = await cachedSession();
      await offboarded.f.db
        .transaction()
        .execute((trx) => revokeAllForUser(trx, offboarded.userId, offboarded.f.clock.now()));
      await expect(offboarded.f.sessions.authenticate(offboarded.token)).rejects.toMatchObject({
        code: "SESSION_INVALID",
      });
    });

    it("keeps the idle timeout exact for a cached session: activity renews it, silence ends it", async () => {
      const { f, token } = await cachedSession();
      // Past the touch interval, a use writes last_seen (and the cached copy follows).
      f.clock.advance(SESSION_POLICY.touchIntervalMs);
      await f.sessions.authenticate(token);
      f.clock.advance(SESSION_POLICY.idleMs - 1);
      await f.sessions.authenticate(token);
      f.clock.advance(SESSION_POLICY.idleMs);
      await expect(f.sessions.authenticate(token)).rejects.toMatchObject({ code: "SESSION_EXPIRED" });
    });
  });
}
