import type { Kysely } from "kysely";
import { type Actor, createAuthorizer } from "../../src/access/authorize.js";
import type { Role } from "../../src/access/roles.js";
import { createSellerAccount } from "../../src/accounts/accounts-repo.js";
import { createDatabaseAuditSink } from "../../src/audit/audit-log.js";
import type { AuditEvent, AuditSink } from "../../src/audit/audit-sink.js";
import type { DB } from "../../src/db/schema.js";
import { revokeApiTokensForUser } from "../../src/identity/api-tokens.js";
import { createIdentityService, type RevokeUserCredentials } from "../../src/identity/identity-service.js";
import type { Operator } from "../../src/identity/invitations.js";
import { putMembership } from "../../src/identity/memberships-repo.js";
import { createOrganisation } from "../../src/identity/organisations-repo.js";
import { revokeSessionsForUser } from "../../src/identity/sessions.js";
import { createUser } from "../../src/identity/users-repo.js";
import { openTestProtection, type TestProtection } from "./protection.js";
import type { StoreName } from "./stores.js";

/**
 * An AuditSink that keeps events in memory — and, given the real log, appends there first, so tests see
 * what the production sink does (including SQLite's single connection: an append from inside an open
 * transaction would hang).
 */
export function collectingAudit(inner?: AuditSink): AuditSink & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return {
    events,
    async record(event) {
      await inner?.record(event);
      events.push(structuredClone(event));
    },
  };
}

export const OPERATOR: Operator = { kind: "operator", name: "test" };

export function userActor(userId: string, mfaVerified = true): Actor {
  return { kind: "user", userId, mfaVerified, sessionId: "s-test" };
}

export interface IdentityWorld {
  p: TestProtection;
  db: Kysely<DB>;
  audit: ReturnType<typeof collectingAudit>;
  authorizer: ReturnType<typeof createAuthorizer>;
  identity: ReturnType<typeof createIdentityService>;
  revokeUserCredentials: RevokeUserCredentials;
  orgA: string;
  orgB: string;
  /** Two accounts of organisation A, one of organisation B. */
  a1: string;
  a2: string;
  b1: string;
  /** One user per role on a1 (organisation A); `outsider` is an owner of b1. */
  users: Record<Role | "outsider", string>;
}

let counter = 0;

/** Two organisations on one migrated store, a user per role, the real credential revocation wired in. */
export async function openIdentityWorld(store: StoreName): Promise<IdentityWorld> {
  const p = await openTestProtection(store);
  const db = p.data.database.db;
  const now = p.clock.now();
  const log = createDatabaseAuditSink({ database: p.data.database, clock: p.clock, master: p.master });
  const audit = collectingAudit(log);
  const authorizer = createAuthorizer({ audit });
  const revokeUserCredentials: RevokeUserCredentials = async (trx, userId) => {
    await revokeSessionsForUser(trx, userId);
    await revokeApiTokensForUser(trx, userId, p.clock.now());
  };
  const identity = createIdentityService({ db, clock: p.clock, audit, authorizer, revokeUserCredentials });
  const orgA = (await createOrganisation(db, { name: "Agency A" }, now)).id;
  const orgB = (await createOrganisation(db, { name: "Agency B" }, now)).id;
  const account = async (name: string, organisationId: string) =>
    (await createSellerAccount(db, p.fields, { name, region: "eu", organisationId }, now)).id;
  const a1 = await account("Brand one", orgA);
  const a2 = await account("Brand two", orgA);
  const b1 = await account("Other seller", orgB);
  const person = async (role: Role, organisationId: string, accountId: string) => {
    counter += 1;
    const user = await createUser(
      db,
      { organisationId, email: `${role}.${counter}@agency.example`, displayName: `${role} person` },
      now,
    );
    await putMembership(db, { userId: user.id, accountId, role, grantedBy: "operator:test" }, now);
    return user.id;
  };
  const users = {
    owner: await person("owner", orgA, a1),
    admin: await person("admin", orgA, a1),
    analyst: await person("analyst", orgA, a1),
    fulfillment: await person("fulfillment", orgA, a1),
    viewer: await person("viewer", orgA, a1),
    outsider: await person("owner", orgB, b1),
  };
  return { p, db, audit, authorizer, identity, revokeUserCredentials, orgA, orgB, a1, a2, b1, users };
}
