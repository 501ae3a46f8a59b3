import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthWorld, type Browser, openAuthWorld, type Person } from "../../test/support/auth-world.js";
import { STORES } from "../../test/support/stores.js";
import { LOCKOUT_POLICY } from "./lockout.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`a manager unlocks a locked member on ${target.name}`, () => {
    let w: AuthWorld;
    let owner: Person;
    let ownerBrowser: Browser;
    beforeAll(async () => {
      w = await openAuthWorld(target.name);
      owner = await w.person("owner", w.orgA, w.a1);
      ownerBrowser = await w.signIn(owner);
    }, 60_000);
    afterAll(async () => {
      await w?.t.close();
    });

    async function lock(p: Person) {
      for (let i = 0; i < LOCKOUT_POLICY.threshold; i++) {
        await w.call({
          method: "POST",
          url: "/api/auth/sign-in",
          body: { email: p.email, password: "Wrong-Password-99!" },
        });
      }
      expect(await w.t.services.modules.lockout.state(p.id)).toMatchObject({ locked: true });
    }

    async function lockedFlag(userId: string) {
      const res = await w.call({ method: "GET", url: `/api/accounts/${w.a1}/members`, as: ownerBrowser });
      expect(res.statusCode).toBe(200);
      return res.json().members.find((m: { userId: string }) => m.userId === userId)?.locked;
    }

    function unlock(userId: string, as: Browser = ownerBrowser, accountId = w.a1) {
      return w.call({
        method: "POST",
        url: `/api/accounts/${accountId}/members/${userId}/unlock`,
        as,
        body: {},
      });
    }

    it("the members list shows the lock; the unlock lifts it, is audited under the request, and is not repeatable", async () => {
      const p = await w.person("viewer", w.orgA, w.a1);
      await w.signIn(p);
      expect(await lockedFlag(p.id)).toBe(false);
      await lock(p);
      expect(await lockedFlag(p.id)).toBe(true);

      const res = await unlock(p.id);
      expect(res.statusCode).toBe(204);
      expect(await lockedFlag(p.id)).toBe(false);
      await w.signIn(p);

      await w.t.audit.flush();
      const entries = await w.t.db
        .selectFrom("audit_entries")
        .select(["actor", "outcome", "request_id"])
        .where("action", "=", "auth.unlock")
        .where("target", "like", `%${p.id}%`)
        .execute();
      expect(entries).toEqual([
        {
          actor: expect.stringContaining(owner.id),
          outcome: "success",
          request_id: res.headers["x-request-id"],
        },
      ]);

      const again = await unlock(p.id);
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe("USER_NOT_LOCKED");
    });

    it("a viewer may not unlock; a user outside the account is not found, and stays locked", async () => {
      const viewer = await w.person("viewer", w.orgA, w.a1);
      const viewerBrowser = await w.signIn(viewer);
      const locked = await w.person("viewer", w.orgA, w.a1);
      await lock(locked);
      const denied = await unlock(locked.id, viewerBrowser);
      expect(denied.statusCode).toBe(403);

      const elsewhere = await w.person("viewer", w.orgA, w.a2);
      const otherOrg = await w.person("viewer", w.orgB, w.b1);
      for (const p of [elsewhere, otherOrg]) {
        await lock(p);
        const res = await unlock(p.id);
        expect(res.statusCode).toBe(404);
        expect(await w.t.services.modules.lockout.state(p.id)).toMatchObject({ locked: true });
      }
      expect(await w.t.services.modules.lockout.state(locked.id)).toMatchObject({ locked: true });
    });
  });
}
