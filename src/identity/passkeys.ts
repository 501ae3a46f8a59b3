import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import type { Kysely } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DB } from "../db/schema.js";
import { type Clock, MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";

export const PASSKEY_POLICY = {
  challengeTtlMs: 5 * MS.minute,
  maxPerUser: 20,
} as const;

type Kind = "registration" | "authentication";
const TRANSPORTS = new Set(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"]);

/** Where the ceremony runs: the relying party id (host) and the exact origin the browser reports. */
export interface RelyingParty {
  rpID: string;
  origin: string;
}

export interface PasskeyInfo {
  id: string;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

export interface PasskeysDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
  /** Shown by the authenticator: the product name. */
  rpName: string;
}

export function createPasskeys(deps: PasskeysDeps) {
  const { db, clock, audit, rpName } = deps;

  async function storeChallenge(userId: string, kind: Kind, challenge: string): Promise<void> {
    const now = clock.now();
    // One live ceremony of each kind per user: a new one replaces (and so cancels) the previous.
    await db
      .deleteFrom("webauthn_challenges")
      .where("user_id", "=", userId)
      .where("kind", "=", kind)
      .execute();
    await db
      .insertInto("webauthn_challenges")
      .values({
        challenge,
        user_id: userId,
        kind,
        expires_at: new Date(now.getTime() + PASSKEY_POLICY.challengeTtlMs).toISOString(),
      })
      .execute();
  }

  /** Spends a challenge: it must exist for this user and kind and be unexpired; it never works twice. */
  async function consumeChallenge(userId: string, kind: Kind, challenge: string): Promise<boolean> {
    const row = await db
      .deleteFrom("webauthn_challenges")
      .where("challenge", "=", challenge)
      .where("user_id", "=", userId)
      .where("kind", "=", kind)
      .returning("expires_at")
      .executeTakeFirst();
    return row !== undefined && Date.parse(row.expires_at) > clock.now().getTime();
  }

  async function credentialsOf(userId: string) {
    return db.selectFrom("passkey_credentials").selectAll().where("user_id", "=", userId).execute();
  }

  /**
   * The library asks whether a response's challenge is ours; remembering the answer tells a spent or
   * unknown challenge apart from a bad signature when verification throws.
   */
  function challengeGate(userId: string, kind: Kind) {
    let ok: boolean | undefined;
    return {
      expectedChallenge: async (challenge: string) => {
        ok = await consumeChallenge(userId, kind, challenge);
        return ok;
      },
      failure: (): AppError["code"] =>
        ok === false ? "PASSKEY_CHALLENGE_INVALID" : "PASSKEY_VERIFICATION_FAILED",
    };
  }

  async function fail(
    action: string,
    userId: string,
    code: AppError["code"],
    cause?: unknown,
  ): Promise<never> {
    await audit.record({ action, actor: userId, outcome: "failure", target: { user: userId }, reason: code });
    throw new AppError(code, undefined, cause === undefined ? {} : { cause });
  }

  async function registrationOptions(
    userId: string,
    user: { name: string; displayName?: string },
    rp: Pick<RelyingParty, "rpID">,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await credentialsOf(userId);
    const options = await generateRegistrationOptions({
      rpName,
      rpID: rp.rpID,
      userName: user.name,
      userDisplayName: user.displayName ?? user.name,
      userID: new Uint8Array(Buffer.from(userId, "utf8")),
      timeout: PASSKEY_POLICY.challengeTtlMs,
      attestationType: "none",
      excludeCredentials: existing.map((c) => ({
        id: c.id,
        transports: JSON.parse(c.transports) as string[],
      })),
      authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
    });
    await storeChallenge(userId, "registration", options.challenge);
    return options;
  }

  async function verifyRegistration(
    userId: string,
    response: RegistrationResponseJSON,
    rp: RelyingParty,
  ): Promise<PasskeyInfo> {
    const action = "mfa.passkey.register";
    const gate = challengeGate(userId, "registration");
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: gate.expectedChallenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.rpID,
        requireUserVerification: false,
      });
    } catch (err) {
      return fail(action, userId, gate.failure(), err);
    }
    if (!verified.verified) return fail(action, userId, "PASSKEY_VERIFICATION_FAILED");
    const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
    const known = await db
      .selectFrom("passkey_credentials")
      .select("id")
      .where("id", "=", credential.id)
      .executeTakeFirst();
    if (known || (await credentialsOf(userId)).length >= PASSKEY_POLICY.maxPerUser) {
      return fail(action, userId, "PASSKEY_VERIFICATION_FAILED");
    }
    const transports = (response.response.transports ?? []).filter((t) => TRANSPORTS.has(t));
    const at = clock.now().toISOString();
    // The primary key settles a race between two registrations of the same credential.
    const inserted = await db
      .insertInto("passkey_credentials")
      .values({
        id: credential.id,
        user_id: userId,
        public_key: Buffer.from(credential.publicKey).toString("base64url"),
        counter: credential.counter,
        transports: JSON.stringify(transports),
        device_type: credentialDeviceType,
        backed_up: credentialBackedUp ? 1 : 0,
        created_at: at,
        last_used_at: null,
      })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    if (inserted.numInsertedOrUpdatedRows === 0n) return fail(action, userId, "PASSKEY_VERIFICATION_FAILED");
    await audit.record({
      action,
      actor: userId,
      outcome: "success",
      target: { user: userId, passkey: credential.id },
    });
    return { id: credential.id, transports, createdAt: at, lastUsedAt: null };
  }

  async function authenticationOptions(
    userId: string,
    rp: Pick<RelyingParty, "rpID">,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const existing = await credentialsOf(userId);
    const options = await generateAuthenticationOptions({
      rpID: rp.rpID,
      allowCredentials: existing.map((c) => ({ id: c.id, transports: JSON.parse(c.transports) as string[] })),
      timeout: PASSKEY_POLICY.challengeTtlMs,
      userVerification: "preferred",
    });
    await storeChallenge(userId, "authentication", options.challenge);
    return options;
  }

  /** Verifies an assertion as this user's second factor; the signature counter must move forward. */
  async function verifyAuthentication(
    userId: string,
    response: AuthenticationResponseJSON,
    rp: RelyingParty,
  ): Promise<void> {
    const action = "mfa.passkey.verify";
    const id = typeof response?.id === "string" ? response.id : "";
    const stored = await db
      .selectFrom("passkey_credentials")
      .selectAll()
      .where("id", "=", id)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (!stored) return fail(action, userId, "PASSKEY_UNKNOWN_CREDENTIAL");
    const gate = challengeGate(userId, "authentication");
    let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: gate.expectedChallenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.rpID,
        credential: {
          id: stored.id,
          publicKey: new Uint8Array(Buffer.from(stored.public_key, "base64url")),
          counter: Number(stored.counter),
          transports: JSON.parse(stored.transports) as string[],
        },
        requireUserVerification: false,
      });
    } catch (err) {
      return fail(action, userId, gate.failure(), err);
    }
    if (!result.verified) return fail(action, userId, "PASSKEY_VERIFICATION_FAILED");
    await db
      .updateTable("passkey_credentials")
      .set({ counter: result.authenticationInfo.newCounter, last_used_at: clock.now().toISOString() })
      .where("id", "=", stored.id)
      .execute();
    await audit.record({
      action,
      actor: userId,
      outcome: "success",
      target: { user: userId, passkey: stored.id },
    });
  }

  async function list(userId: string): Promise<PasskeyInfo[]> {
    return (await credentialsOf(userId)).map((c) => ({
      id: c.id,
      transports: JSON.parse(c.transports) as string[],
      createdAt: c.created_at,
      lastUsedAt: c.last_used_at,
    }));
  }

  async function remove(userId: string, id: string, actor: string): Promise<void> {
    const removed = await db
      .deleteFrom("passkey_credentials")
      .where("id", "=", id)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    if (removed.numDeletedRows === 0n) throw new AppError("PASSKEY_NOT_FOUND");
    await audit.record({
      action: "mfa.passkey.remove",
      actor,
      outcome: "success",
      target: { user: userId, passkey: id },
    });
  }

  /** Abandoned ceremonies leave challenges behind; a housekeeping job drops the expired ones. */
  async function purgeExpiredChallenges(): Promise<number> {
    const result = await db
      .deleteFrom("webauthn_challenges")
      .where("expires_at", "<=", clock.now().toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async function hasAny(userId: string): Promise<boolean> {
    return (await credentialsOf(userId)).length > 0;
  }

  return {
    registrationOptions,
    verifyRegistration,
    authenticationOptions,
    verifyAuthentication,
    list,
    remove,
    hasAny,
    purgeExpiredChallenges,
  };
}

export type Passkeys = ReturnType<typeof createPasskeys>;
