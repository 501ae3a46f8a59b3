import { afterEach, describe, expect, it } from "vitest";
import { type CredentialsFixture, openCredentialsFixture } from "../../test/support/identity-credentials.js";
import { STORES } from "../../test/support/stores.js";
import { normalizeRecoveryCode } from "./recovery-codes.js";

const open: CredentialsFixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.dispose();
});

describe("recovery code normalization", () => {
  it("ignores case, spaces and dashes, maps look-alikes, and refuses other shapes", () => {
    expect(normalizeRecoveryCode("ABCD-EFGH-JKMN-PQRS")).toBe("abcdefghjkmnpqrs");
    expect(normalizeRecoveryCode(" abcd efgh jkmn pqrs ")).toBe("abcdefghjkmnpqrs");
    expect(normalizeRecoveryCode("OOOO-IIII-LLLL-0000")).toBe("0000111111110000");
    for (const bad of [
      "",
      "abcd-efgh-jkmn-pqr",
      "abcd-efgh-jkmn-pqrst",
      "uuuu-efgh-jkmn-pqrs",
      "abcd_efgh_jkmn_pqrs",
    ]) {
      expect(normalizeRecoveryCode(bad)).toBeNull();
    }
    expect(normalizeRecoveryCode("a".repeat(10_000))).toBeNull();
  });
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`recovery codes on ${target.name}`, () => {
    async function fixture() {
      const f = await openCredentialsFixture(target.name);
      open.push(f);
      return f;
    }

    it("issues 10 distinct codes once and stores only their hashes", async () => {
      const f = await fixture();
      const codes = await f.recoveryCodes.regenerate("u1", "u1");
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
      const rows = await f.db.selectFrom("recovery_codes").selectAll().execute();
      expect(rows).toHaveLength(10);
      const stored = JSON.stringify(rows);
      for (const code of codes) {
        expect(stored).not.toContain(code);
        expect(stored).not.toContain(normalizeRecoveryCode(code));
      }
      expect(JSON.stringify(f.events)).not.toContain(codes[0]);
    });

    it("accepts each code once, in any case and spacing", async () => {
      const f = await fixture();
      const [first, second] = await f.recoveryCodes.regenerate("u1", "u1");
      expect(await f.recoveryCodes.use("u1", (first as string).toUpperCase())).toEqual({ remaining: 9 });
      await expect(f.recoveryCodes.use("u1", first as string)).rejects.toMatchObject({
        code: "RECOVERY_CODE_INVALID",
      });
      expect(await f.recoveryCodes.use("u1", (second as string).replaceAll("-", " "))).toEqual({
        remaining: 8,
      });
      const failures = f.events.filter(
        (e) => e.action === "mfa.recovery_code.use" && e.outcome === "failure",
      );
      expect(failures).toHaveLength(1);
    });

    it("refuses another user's code and malformed input", async () => {
      const f = await fixture();
      const [code] = await f.recoveryCodes.regenerate("u1", "u1");
      await f.recoveryCodes.regenerate("u2", "u2");
      await expect(f.recoveryCodes.use("u2", code as string)).rejects.toMatchObject({
        code: "RECOVERY_CODE_INVALID",
      });
      for (const bad of ["", "not-a-code", null, 42, "x".repeat(5000)]) {
        await expect(f.recoveryCodes.use("u1", bad as string)).rejects.toMatchObject({
          code: "RECOVERY_CODE_INVALID",
        });
      }
      expect(await f.recoveryCodes.remaining("u1")).toBe(10);
    });

    it("regenerating replaces every old code", async () => {
      const f = await fixture();
      const old = await f.recoveryCodes.regenerate("u1", "u1");
      await f.recoveryCodes.use("u1", old[0] as string);
      const fresh = await f.recoveryCodes.regenerate("u1", "u1");
      expect(await f.recoveryCodes.remaining("u1")).toBe(10);
      for (const code of old.slice(1, 4)) {
        await expect(f.recoveryCodes.use("u1", code)).rejects.toMatchObject({
          code: "RECOVERY_CODE_INVALID",
        });
      }
      await f.recoveryCodes.use("u1", fresh[9] as string);
    });

    it("lets only one of two concurrent uses of a code through", async () => {
      const f = await fixture();
      const [code] = await f.recoveryCodes.regenerate("u1", "u1");
      const results = await Promise.allSettled([
        f.recoveryCodes.use("u1", code as string),
        f.recoveryCodes.use("u1", code as string),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    });
  });
}
