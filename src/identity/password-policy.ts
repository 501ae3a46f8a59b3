import { AppError, type ErrorCode } from "../platform/errors.js";

/** The Amazon Data Protection Policy's password rules, as constants the tests and the UI can quote. */
export const PASSWORD_POLICY = {
  minLength: 12,
  /** Bounds the argon2 input and the history comparisons; long passphrases still fit. */
  maxLength: 256,
  historySize: 10,
  minAgeMs: 86_400_000,
  maxAgeMs: 365 * 86_400_000,
  /** Name and e-mail parts shorter than this are too common to forbid (e.g. "jo", "li"). */
  minNamePartLength: 3,
} as const;

export type PasswordRuleCode = Extract<
  ErrorCode,
  | "PASSWORD_TOO_SHORT"
  | "PASSWORD_TOO_LONG"
  | "PASSWORD_MISSING_UPPER"
  | "PASSWORD_MISSING_LOWER"
  | "PASSWORD_MISSING_DIGIT"
  | "PASSWORD_MISSING_SPECIAL"
  | "PASSWORD_CONTAINS_NAME"
>;

export interface PasswordOwner {
  /** The person's display name, if known. */
  name?: string | null;
  email?: string | null;
}

const UPPER = /\p{Lu}/u;
const LOWER = /\p{Ll}/u;
const DIGIT = /\p{Nd}/u;
const SPECIAL = /[^\p{L}\p{N}]/u;
const SEPARATORS = /[^\p{L}\p{N}]+/u;

function fold(text: string): string {
  return text.normalize("NFKC").toLowerCase();
}

/** The parts of the owner's name and e-mail local part a password must not contain (folded, >= 3 chars). */
export function nameParts(owner: PasswordOwner): string[] {
  const parts = new Set<string>();
  const add = (text: string) => {
    const folded = fold(text);
    if ([...folded].length >= PASSWORD_POLICY.minNamePartLength) parts.add(folded);
  };
  if (owner.name) for (const part of owner.name.split(SEPARATORS)) add(part);
  if (owner.email) {
    const at = owner.email.lastIndexOf("@");
    const local = at >= 0 ? owner.email.slice(0, at) : owner.email;
    add(local);
    for (const part of local.split(SEPARATORS)) add(part);
  }
  return [...parts];
}

/** Every rule the password breaks, in a stable order (empty when it satisfies the policy). */
export function passwordViolations(password: string, owner: PasswordOwner): PasswordRuleCode[] {
  // Each code point is at most two UTF-16 units: a longer string is too long whatever it holds, and is
  // refused before any normalization or matching work is spent on it.
  if (password.length > 2 * PASSWORD_POLICY.maxLength) return ["PASSWORD_TOO_LONG"];
  const violations: PasswordRuleCode[] = [];
  const length = [...password].length;
  if (length < PASSWORD_POLICY.minLength) violations.push("PASSWORD_TOO_SHORT");
  if (length > PASSWORD_POLICY.maxLength) violations.push("PASSWORD_TOO_LONG");
  if (!UPPER.test(password)) violations.push("PASSWORD_MISSING_UPPER");
  if (!LOWER.test(password)) violations.push("PASSWORD_MISSING_LOWER");
  if (!DIGIT.test(password)) violations.push("PASSWORD_MISSING_DIGIT");
  if (!SPECIAL.test(password)) violations.push("PASSWORD_MISSING_SPECIAL");
  const folded = fold(password);
  if (nameParts(owner).some((part) => folded.includes(part))) violations.push("PASSWORD_CONTAINS_NAME");
  return violations;
}

/**
 * Throws the first broken rule as its own code; `details.violations` lists all of them so a form can show
 * every problem at once. Never echoes the password.
 */
export function assertPasswordPolicy(password: string, owner: PasswordOwner): void {
  if (typeof password !== "string") throw new AppError("PASSWORD_TOO_SHORT");
  const violations = passwordViolations(password, owner);
  const first = violations[0];
  if (first) throw new AppError(first, undefined, { details: { violations } });
}
