import { afterEach, describe, expect, it } from "vitest";
import { type CredentialsFixture, openCredentialsFixture } from "../../test/support/identity-credentials.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { hashPassword, verifyPasswordHash } from "./passwords.js";

const open: CredentialsFixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.dispose();
});

const owner = { name: "Mara Quell", email: "mara.quell@example.com" };
const user = "user-1";
const pw = (n: number) => `Correct-Horse-${n}-Battery`;

describe("argon2id hashing", () => {
  it("uses argon2id with at least the OWASP parameters and verifies only the right password", async () => {
    const hashed = await hashPassword("Correct-Horse-1-Battery");
    expect(hashed).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPasswordHash(hashed, "Correct-Horse-1-Battery")).toBe(true);
    expect(await verifyPasswordHash(hashed, "Correct-Horse-1-Batterz")).toBe(false);
    expect(await verifyPasswordHash("not-a-hash", "x")).toBe(false);
  });
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`passwords on ${target.name}`, () => {
    async function fixture() {
      const f = await openCredentialsFixture(target.name);
      open.push(f);
      return f;
    }

    it("stores only an argon2id hash and checks passwords against it", async () => {
      const f = await fixture();
      await f.passwords.set(user, pw(0), { owner, actor: "admin", reason: "initial" });
      const row = await f.db.selectFrom("user_passwords").selectAll().executeTakeFirstOrThrow();
      expect(row.hash).toMatch(/^\$argon2id\$/);
      expect(JSON.stringify(await f.db.selectFrom("password_history").selectAll().execute())).not.toContain(
        pw(0),
      );
      expect(await f.passwords.check(user, pw(0))).toEqual({ ok: true, changeRequired: null });
      expect(await f.passwords.check(user, pw(1))).toEqual({ ok: false, changeRequired: null });
      expect(await f.passwords.check("nobody", pw(0))).toEqual({ ok: false, changeRequired: null });
      expect(f.events.find((e) => e.action === "password.set")).toMatchObject({
        outcome: "success",
        reason: "initial",
      });
      expect(JSON.stringify(f.events)).not.toContain(pw(0));
    });

    it("refuses each policy rule through set with its code, changing nothing and auditing the refusal", async () => {
      const f = await fixture();
      await f.passwords.set(user, pw(0), { owner, actor: "admin", reason: "initial" });
      f.clock.advance(2 * MS.day);
      const cases: Array<[string, string]> = [
        ["Sh0rt!pw", "PASSWORD_TOO_SHORT"],
        ["no-upper-case-1", "PASSWORD_MISSING_UPPER"],
        ["NO-LOWER-CASE-1", "PASSWORD_MISSING_LOWER"],
        ["No-Digits-At-All", "PASSWORD_MISSING_DIGIT"],
        ["NoSpecialChars12", "PASSWORD_MISSING_SPECIAL"],
        ["Hello-Quell-2026", "PASSWORD_CONTAINS_NAME"],
        ["Mara.Quell-2026x", "PASSWORD_CONTAINS_NAME"],
      ];
      for (const [candidate, code] of cases) {
        await expect(
          f.passwords.set(user, candidate, { owner, actor: user, reason: "change" }),
        ).rejects.toMatchObject({
          code,
        });
      }
      expect(await f.passwords.check(user, pw(0))).toMatchObject({ ok: true });
      const refusals = f.events.filter((e) => e.action === "password.set" && e.outcome === "denied");
      expect(refusals.map((e) => e.reason)).toEqual(cases.map(([, code]) => code));
      expect(JSON.stringify(f.events)).not.toContain("Quell-2026");
    });

    it("keeps a history of 10: the last 10 passwords are refused, the 11th back is allowed", async () => {
      const f = await fixture();
      await f.passwords.set(user, pw(0), { owner, actor: "admin", reason: "initial" });
      for (let n = 1; n <= 10; n += 1) {
        f.clock.advance(MS.day);
        await f.passwords.set(user, pw(n), { owner, actor: user, reason: "change" });
      }
      f.clock.advance(MS.day);
      for (const n of [10, 5, 1]) {
        await expect(
          f.passwords.set(user, pw(n), { owner, actor: user, reason: "change" }),
        ).rejects.toMatchObject({
          code: "PASSWORD_REUSED",
        });
      }
      const history = await f.db
        .selectFrom("password_history")
        .select("id")
        .where("user_id", "=", user)
        .execute();
      expect(history).toHaveLength(10);
      await f.passwords.set(user, pw(0), { owner, actor: user, reason: "change" });
      expect(await f.passwords.check(user, pw(0))).toMatchObject({ ok: true });
    });

    it("enforces the minimum age of a day for the user's own change, but not after an admin reset", async () => {
      const f = await fixture();
      await f.passwords.set(user, pw(0), { owner, actor: "admin", reason: "initial" });
      f.clock.advance(MS.day - 1);
      await expect(
        f.passwords.set(user, pw(1), { owner, actor: user, reason: "change" }),
      ).rejects.toMatchObject({
        code: "PASSWORD_TOO_RECENT",
      });
      f.clock.advance(1);
      await f.passwords.set(user, pw(1), { owner, actor: user, reason: "change" });
      // An admin reset forces a change: the user may (must) change at once.
      await f.passwords.set(user, pw(2), { owner, actor: "admin", reason: "admin_reset" });
      expect(await f.passwords.check(user, pw(2))).toEqual({ ok: true, changeRequired: "reset" });
      await f.passwords.set(user, pw(3), { owner, actor: user, reason: "change" });
      expect(await f.passwords.check(user, pw(3))).toEqual({ ok: true, changeRequired: null });
    });

    it("requires a change once the password is 365 days old", async () => {
      const f = await fixture();
      await f.passwords.set(user, pw(0), { owner, actor: "admin", reason: "initial" });
      f.clock.advance(365 * MS.day - 1);
      expect(await f.passwords.check(user, pw(0))).toEqual({ ok: true, changeRequired: null });
      f.clock.advance(1);
      expect(await f.passwords.check(user, pw(0))).toEqual({ ok: true, changeRequired: "expired" });
      // A wrong password never learns about the age.
      expect(await f.passwords.check(user, pw(9))).toEqual({ ok: false, changeRequired: null });
    });
  });
}
