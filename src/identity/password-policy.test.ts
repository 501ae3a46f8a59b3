import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../platform/errors.js";
import { assertPasswordPolicy, nameParts, PASSWORD_POLICY, passwordViolations } from "./password-policy.js";

const owner = { name: "Jo Anne Smithson", email: "jo.anne+shop@example.com" };

function codeOf(password: string, who = owner): string | null {
  try {
    assertPasswordPolicy(password, who);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
}

describe("password policy", () => {
  it("names each broken rule with its own code", () => {
    expect(codeOf("Ab1!short")).toBe("PASSWORD_TOO_SHORT");
    expect(codeOf(`Ab1!${"x".repeat(PASSWORD_POLICY.maxLength)}`)).toBe("PASSWORD_TOO_LONG");
    expect(codeOf("lowercase-only-1")).toBe("PASSWORD_MISSING_UPPER");
    expect(codeOf("UPPERCASE-ONLY-1")).toBe("PASSWORD_MISSING_LOWER");
    expect(codeOf("No-Digits-Here!")).toBe("PASSWORD_MISSING_DIGIT");
    expect(codeOf("NoSpecials12345")).toBe("PASSWORD_MISSING_SPECIAL");
    expect(codeOf("Tr0ub4dor&Horse")).toBeNull();
  });

  it("lists every violation in details, without echoing the password", () => {
    try {
      assertPasswordPolicy("abc", owner);
      expect.unreachable();
    } catch (err) {
      const e = err as AppError;
      expect(e.details?.violations).toEqual([
        "PASSWORD_TOO_SHORT",
        "PASSWORD_MISSING_UPPER",
        "PASSWORD_MISSING_DIGIT",
        "PASSWORD_MISSING_SPECIAL",
      ]);
      expect(JSON.stringify({ m: e.message, d: e.details })).not.toContain('abc"');
    }
  });

  it("counts code points, so 12 emoji-laden characters are 12, not 24", () => {
    expect(codeOf("Aa1!😀😀😀😀😀😀😀😀")).toBeNull();
    expect(codeOf("Aa1!😀😀😀😀😀😀😀")).toBe("PASSWORD_TOO_SHORT");
    expect(codeOf(`Aa1!${"😀".repeat(PASSWORD_POLICY.maxLength - 4)}`)).toBeNull();
    expect(codeOf(`Aa1!${"😀".repeat(PASSWORD_POLICY.maxLength - 3)}`)).toBe("PASSWORD_TOO_LONG");
  });

  it("refuses any part of the name or the e-mail local part of 3+ characters, in any case", () => {
    expect(nameParts(owner).sort()).toEqual(["anne", "jo.anne+shop", "shop", "smithson"].sort());
    expect(codeOf("xxSMITHSONxx-9Q")).toBe("PASSWORD_CONTAINS_NAME");
    expect(codeOf("Good-Anne-Pass-1")).toBe("PASSWORD_CONTAINS_NAME");
    expect(codeOf("Workshop-Pass-1!")).toBe("PASSWORD_CONTAINS_NAME");
    // "jo" is only two characters: too common to forbid.
    expect(codeOf("Jo-Is-Fine-2026!")).toBeNull();
    // The domain is not part of the rule.
    expect(codeOf("Example-Com-2026!")).toBeNull();
    // Compatibility forms fold: full-width letters are the same name.
    expect(codeOf("Ｓｍｉｔｈｓｏｎ-Pass-1")).toBe("PASSWORD_CONTAINS_NAME");
  });

  it("accepts exactly the passwords that satisfy every rule and throws nothing but AppError", () => {
    const nameArb = fc.option(fc.string({ maxLength: 20 }), { nil: null });
    const pieces = fc.array(
      fc.oneof(
        fc.constantFrom("A", "Z", "a", "z", "0", "9", "!", " ", "-", "É", "ß", "٣", "😀"),
        fc.string({ maxLength: 4 }),
      ),
      { maxLength: 80 },
    );
    const passwordArb = fc.oneof(
      fc.string({ maxLength: 300, unit: "binary" }),
      pieces.map((p) => p.join("")),
    );
    fc.assert(
      fc.property(passwordArb, nameArb, nameArb, (password, name, local) => {
        const who = { name, email: local === null ? null : `${local}@example.com` };
        // An independent statement of the rules, straight from the policy text.
        const chars = [...password];
        const folded = password.normalize("NFKC").toLowerCase();
        const parts = nameParts(who);
        const expectedOk =
          chars.length >= 12 &&
          chars.length <= 256 &&
          /\p{Lu}/u.test(password) &&
          /\p{Ll}/u.test(password) &&
          /\p{Nd}/u.test(password) &&
          /[^\p{L}\p{N}]/u.test(password) &&
          !parts.some((part) => folded.includes(part));
        let accepted = true;
        try {
          assertPasswordPolicy(password, who);
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          expect(err.code.startsWith("PASSWORD_")).toBe(true);
          accepted = false;
        }
        expect(accepted).toBe(expectedOk);
        expect(passwordViolations(password, who).length === 0).toBe(expectedOk);
      }),
      { numRuns: 2_000 },
    );
  });

  it("derives name parts only of three or more characters, folded", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (name, local) => {
        for (const part of nameParts({ name, email: `${local}@x.example` })) {
          expect([...part].length).toBeGreaterThanOrEqual(3);
          expect(part).toBe(part.normalize("NFKC").toLowerCase());
        }
      }),
    );
  });
});
