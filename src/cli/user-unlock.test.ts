import { afterEach, describe, expect, it } from "vitest";
import { type Cleanups, cliInstance, seedOrganisations, seedUser } from "../../test/support/identity-cli.js";
import { STORES, type StoreName } from "../../test/support/stores.js";
import { LOCKOUT_POLICY } from "../identity/lockout.js";

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const instance = (store: StoreName) => cliInstance(store, cleanups);
// The CLI runs on the system clock: a lock taken "in the future" is still in force whenever this runs.
const LOCKED_AT = "2099-01-01T00:00:00.000Z";

for (const target of STORES) {
  describe.skipIf(target.skip)(`user unlock on ${target.name}`, () => {
    it("lifts a lock by e-mail or id, audited; refuses a user without a lock or unknown", async () => {
      const { cli, withRt, auditEntries } = await instance(target.name);
      const { orgA, a1 } = await seedOrganisations(withRt);
      const email = "lena.locked@agency.example";
      const userId = await withRt(async (rt, s, clock) => {
        const id = await seedUser(rt, s, clock, {
          organisationId: orgA,
          email,
          roles: [[a1, "viewer"]],
          totp: false,
        });
        for (let i = 0; i < LOCKOUT_POLICY.threshold; i++)
          await s.modules.lockout.recordFailure(id, "password");
        return id;
      }, LOCKED_AT);
      const lockedNow = () =>
        withRt(async (_rt, s) => (await s.modules.lockout.state(userId)).locked, LOCKED_AT);
      expect(await lockedNow()).toBe(true);

      const res = await cli(["user", "unlock", "--email", email, "--json"]);
      expect(res.code, res.stdout + res.stderr).toBe(0);
      expect(res.json()).toEqual({ user: { id: userId, locked: false } });
      expect(await lockedNow()).toBe(false);

      const again = await cli(["user", "unlock", "--user", userId, "--json"]);
      expect(again.code).toBe(1);
      expect(again.json().error.code).toBe("USER_NOT_LOCKED");
      const unknown = await cli(["user", "unlock", "--user", "no-such-user", "--json"]);
      expect(unknown.code).toBe(1);
      expect(unknown.json().error.code).toBe("USER_NOT_FOUND");
      const both = await cli(["user", "unlock", "--user", userId, "--email", email, "--json"]);
      expect(both.code).toBe(2);

      const entries = await auditEntries("cli.user.unlock");
      expect(entries.map((e) => e.outcome)).toEqual(["success", "denied", "denied"]);
      const unlocks = await auditEntries("auth.unlock");
      expect(unlocks.map((e) => [e.actor, e.outcome])).toEqual([
        ["operator:cli", "success"],
        ["operator:cli", "failure"],
      ]);
      const text = await cli(["user", "unlock", "--help"]);
      expect(text.stdout).toContain("--email");
    });
  });
}
