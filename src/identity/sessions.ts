import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DB, SessionState, SessionsTable } from "../db/schema.js";
import { type Clock, MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import { currentNetwork } from "../platform/request-context.js";
import {
  type CredentialCache,
  createCredentialCache,
  credentialEpoch,
  invalidateUserCredentials,
} from "./credential-cache.js";

export const SESSION_POLICY = {
  idleMs: 30 * MS.minute,
  absoluteMs: 12 * MS.hour,
  tokenBytes: 32,
  /** last_seen is written at most this often: one write per request would dominate authenticated reads. */
  touchIntervalMs: MS.minute,
} as const;

/** 32 random bytes, base64url without padding. Anything else is refused before touching the store. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Tokens carry 256 random bits, so a plain SHA-256 suffices: a stolen table reveals no usable token. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function newOpaqueToken(): string {
  return randomBytes(SESSION_POLICY.tokenBytes).toString("base64url");
}

export interface Session {
  id: string;
  userId: string;
  state: SessionState;
  createdAt: string;
  lastSeenAt: string;
  absoluteExpiresAt: string;
  mfaVerified: boolean;
}

export interface IssuedSession {
  /** The opaque token for the cookie; only its hash is stored. */
  token: string;
  session: Session;
}

function toSession(row: Selectable<SessionsTable>): Session {
  return {
    id: row.id,
    userId: row.user_id,
    state: row.state,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    absoluteExpiresAt: row.absolute_expires_at,
    mfaVerified: row.state === "active" && row.mfa_verified_at !== null,
  };
}

/** Deletes every session of a user ("sign out everywhere", offboarding). */
export async function revokeSessionsForUser(db: Kysely<DB>, userId: string): Promise<number> {
  const result = await db.deleteFrom("sessions").where("user_id", "=", userId).executeTakeFirst();
  // After the write: no cached lookup of this user's sessions is served again (see credential-cache).
  invalidateUserCredentials(userId);
  return Number(result.numDeletedRows);
}

export interface SessionsDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
  /** HMAC key for per-session CSRF tokens: the master key's "session-csrf" sub-key. */
  csrfKey: Buffer;
  /** Session rows by token hash; a brief cache, see credential-cache.ts. */
  cache?: CredentialCache<Selectable<SessionsTable>>;
}

export function createSessions(deps: SessionsDeps) {
  const { db, clock, audit, csrfKey } = deps;
  const cache = deps.cache ?? createCredentialCache<Selectable<SessionsTable>>();

  async function refuse(code: "SESSION_INVALID" | "SESSION_EXPIRED" | "MFA_REQUIRED", userId?: string) {
    await audit.record({
      action: "session.authenticate",
      actor: userId ?? "anonymous",
      outcome: "denied",
      ...(userId ? { target: { user: userId } } : {}),
      reason: code,
    });
    return new AppError(code);
  }

  /** Finds a live session by token; expired ones are deleted on sight. */
  async function live(token: unknown): Promise<Selectable<SessionsTable>> {
    if (typeof token !== "string" || !TOKEN_SHAPE.test(token)) throw await refuse("SESSION_INVALID");
    const tokenHash = hashToken(token);
    const now = clock.now().getTime();
    let row = cache.get(tokenHash, now);
    if (!row) {
      const readEpoch = credentialEpoch();
      row = await db
        .selectFrom("sessions")
        .selectAll()
        .where("token_hash", "=", tokenHash)
        .executeTakeFirst();
      if (!row) throw await refuse("SESSION_INVALID");
      cache.set(tokenHash, row.user_id, row, readEpoch, now);
    }
    // Both timeouts are checked on every use, cached or not.
    const idleEnd = Date.parse(row.last_seen_at) + SESSION_POLICY.idleMs;
    if (now >= idleEnd || now >= Date.parse(row.absolute_expires_at)) {
      cache.delete(tokenHash);
      await db.deleteFrom("sessions").where("id", "=", row.id).execute();
      throw await refuse("SESSION_EXPIRED", row.user_id);
    }
    return row;
  }

  async function touch(row: Selectable<SessionsTable>): Promise<Selectable<SessionsTable>> {
    const now = clock.now();
    if (now.getTime() - Date.parse(row.last_seen_at) < SESSION_POLICY.touchIntervalMs) return row;
    const at = now.toISOString();
    await db.updateTable("sessions").set({ last_seen_at: at }).where("id", "=", row.id).execute();
    // The cached row carries the new last_seen too, or the idle timeout would run from the old one.
    const cached = cache.get(row.token_hash, now.getTime());
    if (cached?.id === row.id) cached.last_seen_at = at;
    return { ...row, last_seen_at: at };
  }

  /** After the password: a session that can do nothing but complete (or enroll) the second factor. */
  async function start(userId: string): Promise<IssuedSession> {
    const token = newOpaqueToken();
    const now = clock.now();
    const row: Selectable<SessionsTable> = {
      id: newId(),
      token_hash: hashToken(token),
      user_id: userId,
      state: "pending_mfa",
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      absolute_expires_at: new Date(now.getTime() + SESSION_POLICY.absoluteMs).toISOString(),
      mfa_verified_at: null,
    };
    await db.insertInto("sessions").values(row).execute();
    const network = currentNetwork();
    await audit.record({
      action: "session.start",
      actor: userId,
      outcome: "success",
      // The network (not the address) lets incident detection notice an admin signing in from somewhere new.
      target: { user: userId, session: row.id, ...(network ? { network } : {}) },
    });
    return { token, session: toSession(row) };
  }

  /** Any live session, pending or signed in: for flows that branch on the state themselves. */
  async function resolve(token: unknown): Promise<Session> {
    return toSession(await touch(await live(token)));
  }

  /** A signed-in session: a pending one is refused with MFA_REQUIRED, never treated as signed in. */
  async function authenticate(token: unknown): Promise<Session> {
    const row = await live(token);
    if (row.state !== "active" || row.mfa_verified_at === null)
      throw await refuse("MFA_REQUIRED", row.user_id);
    return toSession(await touch(row));
  }

  /** Only for the second-factor step: a session still waiting for it. */
  async function authenticatePending(token: unknown): Promise<Session> {
    const row = await live(token);
    if (row.state !== "pending_mfa") throw await refuse("SESSION_INVALID", row.user_id);
    return toSession(await touch(row));
  }

  /**
   * Swaps the token (and the session id, so CSRF tokens change too) inside one transaction; the old token
   * stops working at once. Used at sign-in and after any privilege change.
   */
  async function replace(
    row: Selectable<SessionsTable>,
    patch: Partial<Selectable<SessionsTable>>,
  ): Promise<IssuedSession> {
    const token = newOpaqueToken();
    const at = clock.now().toISOString();
    const next: Selectable<SessionsTable> = {
      ...row,
      ...patch,
      id: newId(),
      token_hash: hashToken(token),
      last_seen_at: at,
    };
    await db.transaction().execute(async (tx) => {
      const removed = await tx
        .deleteFrom("sessions")
        .where("id", "=", row.id)
        .where("token_hash", "=", row.token_hash)
        .executeTakeFirst();
      // Someone rotated or revoked it meanwhile: the caller's token is already dead.
      if (removed.numDeletedRows === 0n) throw new AppError("SESSION_INVALID");
      await tx.insertInto("sessions").values(next).execute();
    });
    // The old token must stop at once, here as in the store.
    cache.delete(row.token_hash);
    invalidateUserCredentials(row.user_id, true);
    await audit.record({
      action: "session.rotate",
      actor: row.user_id,
      outcome: "success",
      target: { user: row.user_id, from: row.id, to: next.id },
    });
    return { token, session: toSession(next) };
  }

  /** The second factor is done: the pending session becomes a signed-in one under a new token. */
  async function completeMfa(pendingToken: unknown): Promise<IssuedSession> {
    const row = await live(pendingToken);
    if (row.state !== "pending_mfa") throw await refuse("SESSION_INVALID", row.user_id);
    return replace(row, { state: "active", mfa_verified_at: clock.now().toISOString() });
  }

  /** New token for a signed-in session (privilege change); the old token is invalid afterwards. */
  async function rotate(token: unknown): Promise<IssuedSession> {
    const row = await live(token);
    if (row.state !== "active") throw await refuse("MFA_REQUIRED", row.user_id);
    return replace(row, {});
  }

  async function revoke(token: unknown): Promise<void> {
    if (typeof token !== "string" || !TOKEN_SHAPE.test(token)) return;
    const row = await db
      .selectFrom("sessions")
      .select(["id", "user_id"])
      .where("token_hash", "=", hashToken(token))
      .executeTakeFirst();
    if (!row) return;
    await db.deleteFrom("sessions").where("id", "=", row.id).execute();
    invalidateUserCredentials(row.user_id, true);
    await audit.record({
      action: "session.revoke",
      actor: row.user_id,
      outcome: "success",
      target: { user: row.user_id, session: row.id },
    });
  }

  async function revokeAll(userId: string, actor: string): Promise<number> {
    const count = await revokeSessionsForUser(db, userId);
    await audit.record({
      action: "session.revoke_all",
      actor,
      outcome: "success",
      target: { user: userId, sessions: String(count) },
    });
    return count;
  }

  async function list(userId: string): Promise<Session[]> {
    const rows = await db
      .selectFrom("sessions")
      .selectAll()
      .where("user_id", "=", userId)
      .orderBy("created_at")
      .execute();
    return rows.map(toSession);
  }

  /** Drops sessions past either timeout (a housekeeping job calls it; lookups also drop them on sight). */
  async function purgeExpired(): Promise<number> {
    const now = clock.now();
    const idleCutoff = new Date(now.getTime() - SESSION_POLICY.idleMs).toISOString();
    const result = await db
      .deleteFrom("sessions")
      .where((eb) =>
        eb.or([eb("last_seen_at", "<=", idleCutoff), eb("absolute_expires_at", "<=", now.toISOString())]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Per-session CSRF token: an HMAC of the session id, so nothing extra is stored and rotation renews it. */
  function csrfToken(session: Pick<Session, "id">): string {
    return createHmac("sha256", csrfKey)
      .update(`seller-pilot:csrf:v1:${session.id}`, "utf8")
      .digest("base64url");
  }

  async function verifyCsrf(session: Pick<Session, "id" | "userId">, presented: unknown): Promise<void> {
    const expected = Buffer.from(csrfToken(session), "utf8");
    const given = Buffer.from(typeof presented === "string" ? presented : "", "utf8");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return;
    await audit.record({
      action: "session.csrf",
      actor: session.userId,
      outcome: "denied",
      target: { user: session.userId, session: session.id },
      reason: "CSRF_TOKEN_INVALID",
    });
    throw new AppError("CSRF_TOKEN_INVALID");
  }

  return {
    start,
    resolve,
    authenticate,
    authenticatePending,
    completeMfa,
    rotate,
    revoke,
    revokeAll,
    list,
    purgeExpired,
    csrfToken,
    verifyCsrf,
  };
}

export type Sessions = ReturnType<typeof createSessions>;
