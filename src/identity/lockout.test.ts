import { afterEach, describe, expect, it } from "vitest";
import { type CredentialsFixture, openCredentialsFixture } from "../../test/support/identity-credentials.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { LOCKOUT_POLICY } from "./lockout.js";

const open: CredentialsFixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`lockout on ${target.name}`, () => {
    async function fixture() {
      const f = await openCredentialsFixture(target.name);
      open.push(f);
      return f;
    }

    it("locks at the 10th consecutive failure, not before", async () => {
      const f = await fixture();
      for (let i = 1; i < LOCKOUT_POLICY.threshold; i += 1) {
        expect((await f.lockout.recordFailure("u1", i % 2 ? "password" : "totp")).locked).toBe(false);
      }
      await f.lockout.assertNotLocked("u1");
      const tenth = await f.lockout.recordFailure("u1", "recovery_code");
      expect(tenth).toMatchObject({ locked: true, failures: 10 });
      await expect(f.lockout.assertNotLocked("u1")).rejects.toMatchObject({
        code: "USER_LOCKED",
        status: 423,
      });
      // Other users are unaffected.
      await f.lockout.assertNotLocked("u2");
      expect(f.events.filter((e) => e.action === "auth.lock")).toHaveLength(1);
    });

    it("lifts the lock after the 30-minute cool-down, with a fresh counter", async () => {
      const f = await fixture();
      for (let i = 0; i < 10; i += 1) await f.lockout.recordFailure("u1", "password");
      f.clock.advance(LOCKOUT_POLICY.coolDownMs - 1);
      await expect(f.lockout.assertNotLocked("u1")).rejects.toMatchObject({ code: "USER_LOCKED" });
      f.clock.advance(1);
      await f.lockout.assertNotLocked("u1");
      expect(await f.lockout.state("u1")).toEqual({ locked: false, failures: 0, lockedUntil: null });
      expect((await f.lockout.recordFailure("u1", "password")).failures).toBe(1);
      expect(f.events.find((e) => e.action === "auth.unlock")).toMatchObject({
        actor: "system",
        reason: "cool_down_elapsed",
      });
    });

    it("resets the counter on success", async () => {
      const f = await fixture();
      for (let i = 0; i < 9; i += 1) await f.lockout.recordFailure("u1", "password");
      await f.lockout.recordSuccess("u1");
      for (let i = 0; i < 9; i += 1) await f.lockout.recordFailure("u1", "password");
      expect(await f.lockout.state("u1")).toMatchObject({ locked: false, failures: 9 });
    });

    it("lets an admin unlock, audited; unlocking an unlocked user is refused", async () => {
      const f = await fixture();
      await expect(f.lockout.unlock("u1", "admin-1")).rejects.toMatchObject({ code: "USER_NOT_LOCKED" });
      for (let i = 0; i < 10; i += 1) await f.lockout.recordFailure("u1", "passkey");
      f.clock.advance(5 * MS.minute);
      await f.lockout.unlock("u1", "admin-1");
      await f.lockout.assertNotLocked("u1");
      expect(f.events.filter((e) => e.action === "auth.unlock").at(-1)).toMatchObject({
        actor: "admin-1",
        outcome: "success",
        target: { user: "u1" },
      });
    });

    it("counts concurrent failures without losing any", async () => {
      const f = await fixture();
      const results = await Promise.all(
        Array.from({ length: 12 }, () => f.lockout.recordFailure("u1", "password")),
      );
      expect(results.map((r) => r.failures).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      expect((await f.lockout.state("u1")).locked).toBe(true);
      expect(f.events.filter((e) => e.action === "auth.lock")).toHaveLength(1);
    });
  });
}
