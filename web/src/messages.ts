// What to tell a person for each stable error code. Codes are matched, never the server's wording, so the
// server may reword its messages without breaking the forms; unknown codes fall back to the server message.
import type { ApiError } from "./api";

const MESSAGES: Readonly<Record<string, string>> = {
  INVALID_CREDENTIALS: "The e-mail address or password is not correct.",
  USER_LOCKED:
    "This user is locked after too many failed attempts. Wait for the cool-down, or ask an administrator to unlock it.",
  USER_DISABLED: "This user is disabled. Ask an administrator.",
  RATE_LIMITED: "Too many attempts from this network. Wait a minute and try again.",
  TOTP_CODE_INVALID:
    "That code is not valid. Check the time on your device and enter the current 6-digit code.",
  TOTP_CODE_REPLAYED: "That code was already used. Wait for your app to show the next one.",
  TOTP_ALREADY_ENROLLED: "An authenticator app is already enrolled for this user.",
  TOTP_NOT_ENROLLED: "No authenticator app is enrolled yet.",
  RECOVERY_CODE_INVALID: "That recovery code is not valid or was already used.",
  PASSKEY_CHALLENGE_INVALID: "The passkey request expired. Try again.",
  PASSKEY_UNKNOWN_CREDENTIAL: "This passkey is not registered for your user.",
  PASSKEY_VERIFICATION_FAILED: "The passkey could not be verified. Try again or use another method.",
  PASSKEY_CANCELLED: "The passkey prompt was cancelled or timed out.",
  PASSKEY_UNSUPPORTED: "This browser does not support passkeys.",
  MFA_REQUIRED: "Complete the second factor first.",
  MFA_ENROLLMENT_REQUIRED: "Set up an authenticator app first.",
  SESSION_INVALID: "Your session ended. Sign in again.",
  SESSION_EXPIRED: "Your session expired. Sign in again.",
  CSRF_TOKEN_INVALID: "This page is out of date with your session. Reload the page and try again.",
  PASSWORD_TOO_SHORT: "At least 12 characters.",
  PASSWORD_TOO_LONG: "At most 256 characters.",
  PASSWORD_MISSING_UPPER: "An upper-case letter.",
  PASSWORD_MISSING_LOWER: "A lower-case letter.",
  PASSWORD_MISSING_DIGIT: "A digit.",
  PASSWORD_MISSING_SPECIAL: "A special character (neither a letter nor a digit).",
  PASSWORD_CONTAINS_NAME: "No part of your name or e-mail address.",
  PASSWORD_REUSED: "The new password must differ from your last 10 passwords.",
  PASSWORD_TOO_RECENT: "The password was changed less than a day ago; it can be changed again after one day.",
  PASSWORD_MISMATCH: "The two new passwords do not match.",
  INVITATION_INVALID: "This invitation link is not valid. Check that you copied the whole link.",
  INVITATION_EXPIRED: "This invitation expired. Ask for a new one.",
  INVITATION_USED: "This invitation was already used. Sign in instead.",
  EMAIL_INVALID: "The e-mail address is not valid.",
  EMAIL_TAKEN: "A user with this e-mail address already exists.",
  EMAIL_GENERIC: "Invite a person, not a shared address such as info@ or team@.",
  ROLE_UNKNOWN: "There is no role of this name.",
  ROLE_ESCALATION: "You cannot grant a role with permissions you do not hold yourself.",
  LAST_OWNER: "A seller account must keep at least one owner.",
  MEMBERSHIP_NOT_FOUND: "This person no longer has a role on this seller account.",
  FORBIDDEN: "Your role does not allow this.",
  API_TOKEN_MFA_REQUIRED: "Tokens can only be created after completing the second factor in this session.",
  API_TOKEN_SCOPE_INVALID: "Choose at least one seller account and one permission.",
  API_TOKEN_TTL_INVALID: "Tokens expire after 1 to 365 days.",
  REVIEW_ALREADY_OPEN: "A review is already open for this organisation.",
  REVIEW_INCOMPLETE: "Every entry needs a decision before the review can be completed.",
  REVIEW_CLOSED: "This review is already completed.",
  REVIEW_ITEM_DECIDED: "This entry already has a decision.",
  CONNECT_FEATURES_INVALID: "Choose at least one feature to enable for the seller account.",
  CONNECT_STATE_INVALID: "This authorization link is not one Seller Pilot issued. Start connecting again.",
  CONNECT_STATE_EXPIRED: "The authorization took longer than 5 minutes. Start connecting again.",
  CONNECT_STATE_USED: "This authorization link was already used. Start connecting again.",
  CONNECT_STATE_SESSION_MISMATCH:
    "This authorization was started in another session. Start again from this browser.",
  NETWORK_ERROR: "The server could not be reached. Check your connection.",
  TIMEOUT: "The server did not answer in time. Try again.",
};

// Rule codes have short texts for the rule list; as the error of a form they need a whole sentence.
const RULE_CODES: ReadonlySet<string> = new Set([
  "PASSWORD_TOO_SHORT",
  "PASSWORD_TOO_LONG",
  "PASSWORD_MISSING_UPPER",
  "PASSWORD_MISSING_LOWER",
  "PASSWORD_MISSING_DIGIT",
  "PASSWORD_MISSING_SPECIAL",
  "PASSWORD_CONTAINS_NAME",
]);

export function messageFor(error: Pick<ApiError, "code" | "message">): string {
  if (RULE_CODES.has(error.code)) return "The password does not meet the rules marked in the list.";
  return MESSAGES[error.code] ?? error.message;
}

/** The password rules, in the order the server checks them, with the code each one is reported under. */
export const PASSWORD_RULES: readonly { code: string; test?: (password: string) => boolean }[] = [
  { code: "PASSWORD_TOO_SHORT", test: (p) => [...p].length >= 12 },
  { code: "PASSWORD_MISSING_UPPER", test: (p) => /\p{Lu}/u.test(p) },
  { code: "PASSWORD_MISSING_LOWER", test: (p) => /\p{Ll}/u.test(p) },
  { code: "PASSWORD_MISSING_DIGIT", test: (p) => /\p{Nd}/u.test(p) },
  { code: "PASSWORD_MISSING_SPECIAL", test: (p) => /[^\p{L}\p{N}]/u.test(p) },
  { code: "PASSWORD_CONTAINS_NAME" },
  { code: "PASSWORD_REUSED" },
];

export function ruleMessage(code: string): string {
  return MESSAGES[code] ?? code;
}

/** The rule codes a password error names: every violation the server listed, or just its own code. */
export function violationsOf(error: ApiError): string[] {
  const listed = error.details?.violations;
  if (Array.isArray(listed)) return listed.filter((item): item is string => typeof item === "string");
  return error.code.startsWith("PASSWORD_") ? [error.code] : [];
}
