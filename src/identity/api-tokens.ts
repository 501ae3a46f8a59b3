import { randomBytes } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { ApiTokensTable, DB } from "../db/schema.js";
import { type Clock, MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import {
  type CredentialCache,
  createCredentialCache,
  credentialEpoch,
  invalidateUserCredentials,
} from "./credential-cache.js";
import { hashToken, type Session } from "./sessions.js";

const LAST_USED_INTERVAL_MS = 60_000;

export const API_TOKEN_POLICY = {
  prefix: "spt_",
  minTtlMs: MS.hour,
  maxTtlMs: 365 * MS.day,
  maxAccounts: 100,
  maxPermissions: 100,
} as const;

/** The prefix lets secret scanners (and our own log scrubber) recognise a leaked token. */
const TOKEN_SHAPE = /^spt_[A-Za-z0-9_-]{43}$/;
const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const PERMISSION = /^[a-z][a-z0-9_.:-]{0,63}$/;

export interface ApiTokenScopes {
  accounts: string[];
  permissions: string[];
}

export interface ApiTokenInfo {
  id: string;
  userId: string;
  name: string;
  scopes: ApiTokenScopes;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

function toInfo(row: Selectable<ApiTokensTable>): ApiTokenInfo {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as ApiTokenScopes,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

/** Revokes every live token of a user (offboarding); returns how many. */
export async function revokeApiTokensForUser(db: Kysely<DB>, userId: string, at: Date): Promise<number> {
  const result = await db
    .updateTable("api_tokens")
    .set({ revoked_at: at.toISOString() })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  // After the write: a lookup that read the row before it cannot store what it read (see credential-cache).
  invalidateUserCredentials(userId);
  return Number(result.numUpdatedRows);
}

export interface ApiTokensDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
  /** The permission catalog: scopes naming anything else are refused. */
  permissions: readonly string[];
  /** Live (unrevoked, unexpired) token rows by token hash; a brief cache, see credential-cache.ts. */
  cache?: CredentialCache<Selectable<ApiTokensTable>>;
}

export interface NewApiToken {
  name: string;
  scopes: ApiTokenScopes;
  ttlMs: number;
}

export function createApiTokens(deps: ApiTokensDeps) {
  const { db, clock, audit } = deps;
  const catalog = new Set(deps.permissions);
  const cache = deps.cache ?? createCredentialCache<Selectable<ApiTokensTable>>();

  function checkScopes(scopes: ApiTokenScopes): ApiTokenScopes {
    const accounts = Array.isArray(scopes?.accounts) ? scopes.accounts : [];
    const permissions = Array.isArray(scopes?.permissions) ? scopes.permissions : [];
    const valid =
      accounts.length > 0 &&
      accounts.length <= API_TOKEN_POLICY.maxAccounts &&
      permissions.length > 0 &&
      permissions.length <= API_TOKEN_POLICY.maxPermissions &&
      accounts.every((a) => typeof a === "string" && ID.test(a)) &&
      permissions.every((p) => typeof p === "string" && PERMISSION.test(p) && catalog.has(p));
    if (!valid) throw new AppError("API_TOKEN_SCOPE_INVALID");
    return { accounts: [...new Set(accounts)].sort(), permissions: [...new Set(permissions)].sort() };
  }

  /**
   * Creates a token for the session's own user. Only a session that completed the second factor may: the
   * token outlives the session, so it must not be mintable with a password alone.
   */
  async function create(
    creator: Pick<Session, "id" | "userId" | "mfaVerified">,
    input: NewApiToken,
  ): Promise<{ token: string; info: ApiTokenInfo }> {
    const refuse = async (
      code:
        | "API_TOKEN_MFA_REQUIRED"
        | "API_TOKEN_SCOPE_INVALID"
        | "API_TOKEN_TTL_INVALID"
        | "VALIDATION_FAILED",
    ) => {
      await audit.record({
        action: "api_token.create",
        actor: creator.userId,
        outcome: "denied",
        target: { user: creator.userId },
        reason: code,
      });
      return new AppError(code);
    };
    if (creator.mfaVerified !== true) throw await refuse("API_TOKEN_MFA_REQUIRED");
    const name = typeof input.name === "string" ? input.name.trim() : "";
    if (name.length === 0 || name.length > 100) throw await refuse("VALIDATION_FAILED");
    if (
      !Number.isInteger(input.ttlMs) ||
      input.ttlMs < API_TOKEN_POLICY.minTtlMs ||
      input.ttlMs > API_TOKEN_POLICY.maxTtlMs
    ) {
      throw await refuse("API_TOKEN_TTL_INVALID");
    }
    let scopes: ApiTokenScopes;
    try {
      scopes = checkScopes(input.scopes);
    } catch {
      throw await refuse("API_TOKEN_SCOPE_INVALID");
    }
    const token = `${API_TOKEN_POLICY.prefix}${randomBytes(32).toString("base64url")}`;
    const now = clock.now();
    const row: Selectable<ApiTokensTable> = {
      id: newId(),
      token_hash: hashToken(token),
      user_id: creator.userId,
      name,
      scopes: JSON.stringify(scopes),
      created_at: now.toISOString(),
      created_by_session: creator.id,
      expires_at: new Date(now.getTime() + input.ttlMs).toISOString(),
      revoked_at: null,
      last_used_at: null,
    };
    await db.insertInto("api_tokens").values(row).execute();
    await audit.record({
      action: "api_token.create",
      actor: creator.userId,
      outcome: "success",
      target: { user: creator.userId, token: row.id },
    });
    return { token, info: toInfo(row) };
  }

  /** Resolves a presented token (looked up by its hash) to its owner and scopes. */
  async function authenticate(token: unknown): Promise<ApiTokenInfo> {
    const refuse = async (
      code: "API_TOKEN_INVALID" | "API_TOKEN_EXPIRED" | "API_TOKEN_REVOKED",
      row?: { id: string; user_id: string },
    ) => {
      await audit.record({
        action: "api_token.authenticate",
        actor: row?.user_id ?? "anonymous",
        outcome: "denied",
        ...(row ? { target: { user: row.user_id, token: row.id } } : {}),
        reason: code,
      });
      return new AppError(code);
    };
    if (typeof token !== "string" || !TOKEN_SHAPE.test(token)) throw await refuse("API_TOKEN_INVALID");
    const tokenHash = hashToken(token);
    const now = clock.now();
    let row = cache.get(tokenHash, now.getTime());
    if (!row) {
      const readEpoch = credentialEpoch();
      row = await db
        .selectFrom("api_tokens")
        .selectAll()
        .where("token_hash", "=", tokenHash)
        .executeTakeFirst();
      if (!row) throw await refuse("API_TOKEN_INVALID");
      if (row.revoked_at !== null) throw await refuse("API_TOKEN_REVOKED", row);
      // Only live rows are kept; expiry is checked on every use below, cached or not.
      cache.set(tokenHash, row.user_id, row, readEpoch, now.getTime());
    }
    if (now.getTime() >= Date.parse(row.expires_at)) {
      cache.delete(tokenHash);
      throw await refuse("API_TOKEN_EXPIRED", row);
    }
    // At most one write a minute per token: a write on every request would serialize a script's reads.
    if (row.last_used_at !== null && now.getTime() - Date.parse(row.last_used_at) < LAST_USED_INTERVAL_MS) {
      return toInfo(row);
    }
    const at = now.toISOString();
    await db.updateTable("api_tokens").set({ last_used_at: at }).where("id", "=", row.id).execute();
    // The cached row follows, so the next minute's requests skip the write too.
    const used = { ...row, last_used_at: at };
    const cached = cache.get(tokenHash, now.getTime());
    if (cached?.id === row.id) cached.last_used_at = at;
    return toInfo(used);
  }

  async function revoke(userId: string, tokenId: string, actor: string): Promise<void> {
    const result = await db
      .updateTable("api_tokens")
      .set({ revoked_at: clock.now().toISOString() })
      .where("id", "=", tokenId)
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new AppError("API_TOKEN_NOT_FOUND");
    invalidateUserCredentials(userId, true);
    await audit.record({
      action: "api_token.revoke",
      actor,
      outcome: "success",
      target: { user: userId, token: tokenId },
    });
  }

  async function list(userId: string): Promise<ApiTokenInfo[]> {
    const rows = await db
      .selectFrom("api_tokens")
      .selectAll()
      .where("user_id", "=", userId)
      .orderBy("created_at")
      .execute();
    return rows.map(toInfo);
  }

  return { create, authenticate, revoke, list };
}

export type ApiTokens = ReturnType<typeof createApiTokens>;
