// Typed calls to the identity routes (see notes/auth-api.md): sign-in flow, enrollment and the account area.
// Writes go through requestJson, which sends the CSRF token and turns a lost session into a sign-in redirect.
import {
  anyBody,
  arrayOf,
  isRecord,
  optString,
  type Result,
  requestJson,
  stringArray,
  type Validator,
} from "./api";
import type { Permission } from "./permissions";

export type NextStep = "mfa" | "enroll_mfa" | "change_password" | "done";
export type MfaMethod = "totp" | "recovery" | "passkey";

const NEXT_STEPS: readonly string[] = ["mfa", "enroll_mfa", "change_password", "done"];
const METHODS: readonly string[] = ["totp", "recovery", "passkey"];

function nextStep(value: unknown): NextStep | null {
  return typeof value === "string" && NEXT_STEPS.includes(value) ? (value as NextStep) : null;
}

function methods(value: unknown): MfaMethod[] {
  const list = stringArray(value) ?? [];
  return list.filter((m): m is MfaMethod => METHODS.includes(m));
}

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  isInstanceAdmin: boolean;
}

export interface SessionInfo {
  signedIn: boolean;
  pending: boolean;
  next?: NextStep;
  methods?: MfaMethod[];
  user?: SessionUser;
}

const userValidator: Validator<SessionUser> = (value) => {
  if (!isRecord(value) || typeof value.id !== "string" || typeof value.email !== "string") return null;
  return {
    id: value.id,
    email: value.email,
    name: typeof value.name === "string" ? value.name : "",
    isInstanceAdmin: value.isInstanceAdmin === true,
  };
};

export const sessionValidator: Validator<SessionInfo> = (value) => {
  if (!isRecord(value) || typeof value.signedIn !== "boolean") return null;
  const info: SessionInfo = { signedIn: value.signedIn, pending: value.pending === true };
  const next = nextStep(value.next);
  if (next) info.next = next;
  if (value.methods !== undefined) info.methods = methods(value.methods);
  if (value.user !== undefined && value.user !== null) {
    const user = userValidator(value.user);
    if (!user) return null;
    info.user = user;
  }
  return info;
};

export interface FlowStep {
  next: NextStep;
  methods: MfaMethod[];
}

const flowStepValidator: Validator<FlowStep> = (value) => {
  if (!isRecord(value)) return null;
  const next = nextStep(value.next);
  return next ? { next, methods: methods(value.methods) } : null;
};

/** "sign_in": the invited person already had a password (kept: an invitation is no password reset). */
export type Accepted = { next: "enroll_mfa" } | { next: "sign_in" };

const acceptedValidator: Validator<Accepted> = (value) => {
  if (!isRecord(value)) return null;
  if (value.next === "enroll_mfa" || value.next === "sign_in") return { next: value.next };
  return null;
};

export interface TotpEnrollment {
  otpauthUri: string;
  qrSvg: string;
}

const enrollmentValidator: Validator<TotpEnrollment> = (value) => {
  if (!isRecord(value) || typeof value.otpauthUri !== "string" || typeof value.qrSvg !== "string")
    return null;
  return { otpauthUri: value.otpauthUri, qrSvg: value.qrSvg };
};

export interface EnrollmentConfirmed {
  recoveryCodes: string[];
  next: NextStep;
}

const confirmedValidator: Validator<EnrollmentConfirmed> = (value) => {
  if (!isRecord(value)) return null;
  // Empty when the user still holds unused codes from before (they stay valid; none are re-issued).
  const codes = stringArray(value.recoveryCodes);
  if (!codes) return null;
  return { recoveryCodes: codes, next: nextStep(value.next) ?? "done" };
};

const recoveryCodesValidator: Validator<string[]> = (value) =>
  isRecord(value) ? stringArray(value.recoveryCodes) : null;

const recordValidator: Validator<Record<string, unknown>> = (value) => (isRecord(value) ? value : null);

/** WebAuthn options may come bare or wrapped as {options}. */
const webauthnOptionsValidator: Validator<Record<string, unknown>> = (value) => {
  if (!isRecord(value)) return null;
  const options = isRecord(value.options) ? value.options : value;
  return typeof options.challenge === "string" ? options : null;
};

const flow = { authFlow: true } as const;

export const auth = {
  session: (signal?: AbortSignal) =>
    requestJson("GET", "/api/auth/session", sessionValidator, { ...flow, ...(signal ? { signal } : {}) }),
  signIn: (email: string, password: string) =>
    requestJson("POST", "/api/auth/sign-in", flowStepValidator, { ...flow, body: { email, password } }),
  totp: (code: string) =>
    requestJson("POST", "/api/auth/mfa/totp", flowStepValidator, { ...flow, body: { code } }),
  recovery: (code: string) =>
    requestJson("POST", "/api/auth/mfa/recovery", flowStepValidator, { ...flow, body: { code } }),
  passkeyOptions: () => requestJson("POST", "/api/auth/mfa/passkey/options", webauthnOptionsValidator, flow),
  passkey: (response: unknown) =>
    requestJson("POST", "/api/auth/mfa/passkey", flowStepValidator, { ...flow, body: { response } }),
  enrollTotp: () => requestJson("POST", "/api/auth/enroll/totp", enrollmentValidator, { ...flow, body: {} }),
  confirmTotp: (code: string) =>
    requestJson("POST", "/api/auth/enroll/totp/confirm", confirmedValidator, { ...flow, body: { code } }),
  changePassword: (currentPassword: string, newPassword: string) =>
    requestJson("POST", "/api/auth/password", anyBody, { ...flow, body: { currentPassword, newPassword } }),
  signOut: () => requestJson("POST", "/api/auth/sign-out", anyBody, flow),
  signOutEverywhere: () => requestJson("POST", "/api/auth/sign-out-everywhere", anyBody, flow),
  acceptInvitation: (token: string, name: string, password: string) =>
    requestJson("POST", "/api/invitations/accept", acceptedValidator, {
      ...flow,
      body: { token, name, password },
    }),
  regenerateRecoveryCodes: () =>
    requestJson("POST", "/api/auth/recovery-codes", recoveryCodesValidator, { body: {} }),
  passkeyRegistrationOptions: () =>
    requestJson("POST", "/api/auth/passkeys/options", webauthnOptionsValidator, { body: {} }),
  registerPasskey: (response: unknown, name: string) =>
    requestJson("POST", "/api/auth/passkeys", recordValidator, { body: { response, name } }),
  listPasskeys: (signal?: AbortSignal) =>
    requestJson("GET", "/api/auth/passkeys", passkeysValidator, signal ? { signal } : {}),
  deletePasskey: (id: string) =>
    requestJson("DELETE", `/api/auth/passkeys/${encodeURIComponent(id)}`, anyBody),
};

export interface PasskeySummary {
  id: string;
  name?: string;
  createdAt?: string;
  lastUsedAt?: string | null;
}

const passkeysValidator: Validator<PasskeySummary[]> = (value) => {
  if (!isRecord(value)) return null;
  return arrayOf(value.passkeys, (item) => {
    if (!isRecord(item) || typeof item.id !== "string") return null;
    const summary: PasskeySummary = { id: item.id };
    if (typeof item.name === "string") summary.name = item.name;
    if (typeof item.createdAt === "string") summary.createdAt = item.createdAt;
    const lastUsed = optString(item.lastUsedAt);
    if (lastUsed !== undefined) summary.lastUsedAt = lastUsed;
    return summary;
  });
};

// ---------------------------------------------------------------------------------------------------------
// Seller accounts and the caller's permissions on them

export interface AccountSummary {
  id: string;
  name: string;
  region: string;
  status: string;
  role: string;
  organisationId?: string;
  permissions: readonly Permission[];
}

const accountValidator: Validator<AccountSummary> = (value) => {
  if (!isRecord(value) || typeof value.id !== "string" || typeof value.role !== "string") return null;
  const sent = stringArray(value.permissions);
  return {
    id: value.id,
    name: typeof value.name === "string" ? value.name : value.id,
    region: typeof value.region === "string" ? value.region : "",
    status: typeof value.status === "string" ? value.status : "",
    role: value.role,
    ...(typeof value.organisationId === "string" ? { organisationId: value.organisationId } : {}),
    // The server always sends them; without them the UI offers nothing rather than guess from the role.
    permissions: sent ? (sent as Permission[]) : [],
  };
};

export const fetchAccounts = (signal?: AbortSignal): Promise<Result<AccountSummary[]>> =>
  requestJson(
    "GET",
    "/api/accounts",
    (value) => (isRecord(value) ? arrayOf(value.accounts, accountValidator) : null),
    signal ? { signal } : {},
  );
