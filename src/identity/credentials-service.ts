import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type { Kysely } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { FieldCipher } from "../crypto/field-cipher.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import { AppError, type ErrorCode } from "../platform/errors.js";
import {
  type ApiTokenInfo,
  type ApiTokens,
  createApiTokens,
  type NewApiToken,
  revokeApiTokensForUser,
} from "./api-tokens.js";
import { createLockout, type FailedFactor, type Lockout } from "./lockout.js";
import { createPasskeys, type Passkeys, type RelyingParty } from "./passkeys.js";
import type { PasswordOwner } from "./password-policy.js";
import {
  burnPasswordCheck,
  createPasswords,
  type PasswordChangeRequired,
  type Passwords,
} from "./passwords.js";
import { createRecoveryCodes, type RecoveryCodes } from "./recovery-codes.js";
import {
  createSessions,
  type IssuedSession,
  revokeSessionsForUser,
  type Session,
  type Sessions,
} from "./sessions.js";
import { createTotp, type Totp, type TotpEnrollment } from "./totp.js";

/**
 * Offboarding: every session ends and every API token is revoked. Pass a transaction to make it part of the
 * disabling change (it opens none itself, so it can run inside one); both statements are idempotent.
 */
export async function revokeAllForUser(
  db: Kysely<DB>,
  userId: string,
  at: Date,
): Promise<{ sessions: number; apiTokens: number }> {
  const sessions = await revokeSessionsForUser(db, userId);
  const apiTokens = await revokeApiTokensForUser(db, userId, at);
  return { sessions, apiTokens };
}

/** `revokeAllForUser` in the `(db, userId)` shape the user/membership services take, time from the clock. */
export function createCredentialRevoker(clock: Clock) {
  return async (db: Kysely<DB>, userId: string): Promise<void> => {
    await revokeAllForUser(db, userId, clock.now());
  };
}

export interface CredentialModulesDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
  fields: Pick<FieldCipher, "seal" | "open">;
  /** The master key's "session-csrf" sub-key. */
  csrfKey: Buffer;
  /** Product name shown by authenticator apps and passkey prompts. */
  issuer: string;
  permissions: readonly string[];
}

/** Builds every credential module over one store (the wiring buildApp and the CLI share). */
export function createCredentialModules(deps: CredentialModulesDeps) {
  const { db, clock, audit } = deps;
  return {
    passwords: createPasswords({ db, clock, audit }),
    lockout: createLockout({ db, clock, audit }),
    totp: createTotp({ db, clock, audit, fields: deps.fields, issuer: deps.issuer }),
    recoveryCodes: createRecoveryCodes({ db, clock, audit }),
    passkeys: createPasskeys({ db, clock, audit, rpName: deps.issuer }),
    sessions: createSessions({ db, clock, audit, csrfKey: deps.csrfKey }),
    apiTokens: createApiTokens({ db, clock, audit, permissions: deps.permissions }),
  };
}

export type SecondFactor = "totp" | "passkey" | "recovery_code";

export interface SignInResult {
  /** A pending_mfa session: it can only complete or enroll the second factor. */
  pending: IssuedSession;
  /** "enroll_mfa" on the first sign-in: no route is reachable before a second factor exists. */
  nextStep: "second_factor" | "enroll_mfa";
  factors: SecondFactor[];
  /** Non-null when the password is past its maximum age or was reset by an admin. */
  passwordChangeRequired: PasswordChangeRequired;
}

export type SecondFactorProof =
  | { kind: "totp"; code: string }
  | { kind: "recovery_code"; code: string }
  | { kind: "passkey"; response: AuthenticationResponseJSON; rp: RelyingParty };

export interface EnrollmentResult {
  /** The signed-in session when the enrollment completed a first sign-in; null otherwise. */
  session: IssuedSession | null;
  /** Fresh recovery codes, shown once; null when the user still has unused ones. */
  recoveryCodes: string[] | null;
}

export interface CredentialsServiceDeps {
  passwords: Pick<Passwords, "check" | "set">;
  lockout: Pick<Lockout, "assertNotLocked" | "recordFailure" | "recordSuccess">;
  totp: Pick<Totp, "enroll" | "confirm" | "verify" | "isEnrolled">;
  recoveryCodes: Pick<RecoveryCodes, "use" | "regenerate" | "remaining">;
  passkeys: Pick<Passkeys, "registrationOptions" | "verifyRegistration" | "verifyAuthentication" | "hasAny">;
  sessions: Pick<
    Sessions,
    "start" | "resolve" | "authenticate" | "authenticatePending" | "completeMfa" | "rotate"
  >;
  apiTokens: Pick<ApiTokens, "create">;
  audit: AuditSink;
}

const FACTOR_FAILURES = new Set<ErrorCode>([
  "INVALID_CREDENTIALS",
  "TOTP_CODE_INVALID",
  "TOTP_CODE_REPLAYED",
  "RECOVERY_CODE_INVALID",
  "PASSKEY_UNKNOWN_CREDENTIAL",
  "PASSKEY_VERIFICATION_FAILED",
  "PASSKEY_CHALLENGE_INVALID",
]);

/**
 * The sign-in flow as services: password -> pending session -> second factor (or first enrollment) ->
 * signed-in session under a new token. The lockout counter spans both steps and resets only when the
 * whole sign-in succeeds, so a known password does not buy unlimited second-factor guesses.
 */
export function createCredentialsService(deps: CredentialsServiceDeps) {
  const { passwords, lockout, totp, recoveryCodes, passkeys, sessions, apiTokens, audit } = deps;

  async function factorsOf(userId: string): Promise<SecondFactor[]> {
    const factors: SecondFactor[] = [];
    if (await totp.isEnrolled(userId)) factors.push("totp");
    if (await passkeys.hasAny(userId)) factors.push("passkey");
    if (factors.length > 0 && (await recoveryCodes.remaining(userId)) > 0) factors.push("recovery_code");
    return factors;
  }

  /** Runs one factor check; a factor failure counts toward the lock (and says so once it locks). */
  async function guarded<T>(userId: string, factor: FailedFactor, check: () => Promise<T>): Promise<T> {
    await lockout.assertNotLocked(userId);
    try {
      return await check();
    } catch (err) {
      if (err instanceof AppError && FACTOR_FAILURES.has(err.code)) {
        const state = await lockout.recordFailure(userId, factor);
        if (state.locked) throw new AppError("USER_LOCKED", undefined, { cause: err });
      }
      throw err;
    }
  }

  /**
   * Step one. `userId` is null when no user has the e-mail address: the same work is spent and the same
   * error returned, so the answer does not reveal which addresses exist.
   */
  async function signIn(userId: string | null, password: string): Promise<SignInResult> {
    if (userId === null) {
      await burnPasswordCheck(typeof password === "string" ? password : "");
      await audit.record({
        action: "auth.password",
        actor: "anonymous",
        outcome: "failure",
        reason: "unknown_user",
      });
      throw new AppError("INVALID_CREDENTIALS");
    }
    const result = await guarded(userId, "password", async () => {
      const checked = await passwords.check(userId, password);
      if (!checked.ok) throw new AppError("INVALID_CREDENTIALS");
      return checked;
    });
    await audit.record({
      action: "auth.password",
      actor: userId,
      outcome: "success",
      target: { user: userId },
    });
    const factors = await factorsOf(userId);
    return {
      pending: await sessions.start(userId),
      nextStep: factors.length > 0 ? "second_factor" : "enroll_mfa",
      factors,
      passwordChangeRequired: result.changeRequired,
    };
  }

  /** Step two: the factor is checked, the lock counter resets, the session becomes signed in under a new token. */
  async function completeSecondFactor(
    pendingToken: string,
    proof: SecondFactorProof,
  ): Promise<IssuedSession> {
    const pending = await sessions.authenticatePending(pendingToken);
    const userId = pending.userId;
    if (proof.kind === "totp") {
      await guarded(userId, "totp", () => totp.verify(userId, proof.code));
    } else if (proof.kind === "recovery_code") {
      await guarded(userId, "recovery_code", () => recoveryCodes.use(userId, proof.code));
    } else {
      await guarded(userId, "passkey", () => passkeys.verifyAuthentication(userId, proof.response, proof.rp));
    }
    await lockout.recordSuccess(userId);
    return sessions.completeMfa(pendingToken);
  }

  /**
   * Enrollment from a pending session is allowed only while the user has no second factor at all (the
   * first sign-in); otherwise a stolen password could add the thief's authenticator.
   */
  async function sessionForEnrollment(token: string): Promise<{ session: Session; pending: boolean }> {
    const session = await sessions.resolve(token);
    if (session.mfaVerified) return { session, pending: false };
    if ((await factorsOf(session.userId)).length > 0) {
      await audit.record({
        action: "mfa.enroll",
        actor: session.userId,
        outcome: "denied",
        target: { user: session.userId },
        reason: "MFA_REQUIRED",
      });
      throw new AppError("MFA_REQUIRED");
    }
    return { session, pending: true };
  }

  async function startTotpEnrollment(token: string, accountName: string): Promise<TotpEnrollment> {
    const { session } = await sessionForEnrollment(token);
    return totp.enroll(session.userId, accountName);
  }

  /**
   * After a factor was added: recovery codes are issued (shown once) when the user has none left, and on
   * the first sign-in the new factor is the second factor, so the pending session becomes signed in.
   */
  async function finishEnrollment(
    token: string,
    session: Session,
    pending: boolean,
  ): Promise<EnrollmentResult> {
    const codes =
      (await recoveryCodes.remaining(session.userId)) === 0
        ? await recoveryCodes.regenerate(session.userId, session.userId)
        : null;
    if (!pending) return { session: null, recoveryCodes: codes };
    await lockout.recordSuccess(session.userId);
    return { session: await sessions.completeMfa(token), recoveryCodes: codes };
  }

  async function confirmTotpEnrollment(token: string, code: string): Promise<EnrollmentResult> {
    const { session, pending } = await sessionForEnrollment(token);
    await guarded(session.userId, "totp", () => totp.confirm(session.userId, code));
    return finishEnrollment(token, session, pending);
  }

  async function startPasskeyEnrollment(
    token: string,
    user: { name: string; displayName?: string },
    rp: Pick<RelyingParty, "rpID">,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { session } = await sessionForEnrollment(token);
    return passkeys.registrationOptions(session.userId, user, rp);
  }

  async function confirmPasskeyEnrollment(
    token: string,
    response: RegistrationResponseJSON,
    rp: RelyingParty,
  ): Promise<EnrollmentResult> {
    const { session, pending } = await sessionForEnrollment(token);
    await guarded(session.userId, "passkey", () => passkeys.verifyRegistration(session.userId, response, rp));
    return finishEnrollment(token, session, pending);
  }

  /** The user's own change: the current password is checked (counting toward the lock) before the rules. */
  async function changePassword(
    token: string,
    current: string,
    next: string,
    owner: PasswordOwner,
  ): Promise<IssuedSession> {
    const session = await sessions.authenticate(token);
    await guarded(session.userId, "password", async () => {
      if (!(await passwords.check(session.userId, current)).ok) throw new AppError("INVALID_CREDENTIALS");
    });
    await passwords.set(session.userId, next, { owner, actor: session.userId, reason: "change" });
    return sessions.rotate(token);
  }

  async function createApiToken(
    token: string,
    input: NewApiToken,
  ): Promise<{ token: string; info: ApiTokenInfo }> {
    const session = await sessions.authenticate(token);
    return apiTokens.create(session, input);
  }

  return {
    signIn,
    completeSecondFactor,
    startTotpEnrollment,
    confirmTotpEnrollment,
    startPasskeyEnrollment,
    confirmPasskeyEnrollment,
    changePassword,
    createApiToken,
  };
}

export type CredentialsService = ReturnType<typeof createCredentialsService>;
