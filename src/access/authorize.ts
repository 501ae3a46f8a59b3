import { type Kysely, sql } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DB } from "../db/schema.js";
import { AppError, type ErrorCode } from "../platform/errors.js";
import { isPermission, type Permission } from "./permissions.js";
import { permissionsOfStored } from "./roles.js";

/** What an API token was created for; the token never gets more than its user's roles give today. */
export interface TokenScopes {
  accounts: readonly string[];
  /** As stored; names that are not in the catalog grant nothing. */
  permissions: readonly string[];
}

/**
 * Who asks. The session and token layers resolve credentials into one of these; authorize() trusts
 * nothing else about the caller and re-reads the user, account and role on every call (one query).
 */
export type Actor =
  | { kind: "user"; userId: string; sessionId?: string; mfaVerified: boolean }
  | { kind: "api_token"; userId: string; tokenId: string; scopes: TokenScopes };

export interface AccessGrant {
  actor: Actor;
  userId: string;
  organisationId: string;
  accountId: string;
  role: string;
  /** The actor's effective permissions on the account (role, intersected with the token's scopes). */
  permissions: ReadonlySet<Permission>;
}

export interface Authorizer {
  /** Resolves the actor's rights on the account or throws (and audits the refusal). */
  authorize(db: Kysely<DB>, actor: Actor, permission: Permission, accountId: string): Promise<AccessGrant>;
  /** The actor's effective permissions on an account they can see (for "may I grant this role?"). */
  resolve(db: Kysely<DB>, actor: Actor, accountId: string): Promise<AccessGrant>;
}

/** The actor as audit entries and membership records name it: ids only, never an e-mail. */
export function actorLabel(actor: Actor): string {
  return actor.kind === "user" ? `user:${actor.userId}` : `token:${actor.tokenId}`;
}

// Only the id shape reaches the audit log: whatever else a caller sends as an account id stays out of it.
const ID_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

interface AccessFacts {
  userId: string;
  status: string;
  organisationId: string | null;
  /** Null when no such account exists. */
  accountOrganisationId: string | null;
  /** Null when the user has no role on the account. */
  role: string | null;
}

/**
 * The user, the account's owner and the user's role on it in one round trip (it was three): read fresh on
 * every call, never cached, so a disabled user or a removed role is refused on the very next request.
 * Plain SQL rather than the query builder: it runs on every authorized request, and building and compiling
 * the two-join query cost about as much as running it.
 */
async function accessFacts(db: Kysely<DB>, userId: string, accountId: string): Promise<AccessFacts | null> {
  const { rows } = await sql<AccessFacts>`
    SELECT u.id AS "userId", u.status AS "status", u.organisation_id AS "organisationId",
      a.organisation_id AS "accountOrganisationId", m.role AS "role"
    FROM users u
    LEFT JOIN seller_accounts a ON a.id = ${accountId}
    LEFT JOIN memberships m ON m.user_id = u.id AND m.seller_account_id = ${accountId}
    WHERE u.id = ${userId}`.execute(db);
  return rows[0] ?? null;
}

class Denied extends Error {
  constructor(readonly code: ErrorCode) {
    super(code);
  }
}

export function createAuthorizer(deps: { audit: AuditSink }): Authorizer {
  async function resolveOrDeny(db: Kysely<DB>, actor: Actor, accountId: string): Promise<AccessGrant> {
    if (actor.kind === "user" && !actor.mfaVerified) throw new Denied("MFA_REQUIRED");
    const facts = await accessFacts(db, actor.userId, accountId);
    if (facts?.status !== "active") throw new Denied("USER_DISABLED");
    // Unknown, unowned, another organisation's, or simply not ours: one answer, so the response does not
    // tell a caller which seller accounts exist.
    if (!ID_SHAPE.test(accountId) || facts.organisationId === null) throw new Denied("ACCOUNT_NOT_FOUND");
    if (facts.accountOrganisationId !== facts.organisationId) throw new Denied("ACCOUNT_NOT_FOUND");
    if (facts.role === null) throw new Denied("ACCOUNT_NOT_FOUND");
    let permissions = permissionsOfStored(facts.role);
    if (actor.kind === "api_token") {
      if (!actor.scopes.accounts.includes(accountId)) throw new Denied("ACCOUNT_NOT_FOUND");
      const scoped = new Set(actor.scopes.permissions.filter(isPermission));
      permissions = new Set([...permissions].filter((p) => scoped.has(p)));
    }
    return {
      actor,
      userId: facts.userId,
      organisationId: facts.organisationId,
      accountId,
      role: facts.role,
      permissions,
    };
  }

  async function deny(actor: Actor, code: ErrorCode, accountId: string, permission?: Permission) {
    await deps.audit.record({
      action: "access.authorize",
      actor: actorLabel(actor),
      outcome: "denied",
      target: {
        account: ID_SHAPE.test(accountId) ? accountId : "(malformed)",
        ...(permission ? { permission } : {}),
      },
      reason: code,
    });
    return new AppError(code);
  }

  async function guarded(db: Kysely<DB>, actor: Actor, accountId: string, permission?: Permission) {
    try {
      const grant = await resolveOrDeny(db, actor, accountId);
      if (permission && !grant.permissions.has(permission)) throw new Denied("FORBIDDEN");
      return grant;
    } catch (err) {
      if (err instanceof Denied) throw await deny(actor, err.code, accountId, permission);
      throw err;
    }
  }

  return {
    authorize: (db, actor, permission, accountId) => guarded(db, actor, accountId, permission),
    resolve: (db, actor, accountId) => guarded(db, actor, accountId),
  };
}
