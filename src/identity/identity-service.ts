import type { Kysely } from "kysely";
import type { Authorizer } from "../access/authorize.js";
import { canGrant, parseRole, permissionsOf, permissionsOfStored, type Role } from "../access/roles.js";
import type { AuditEvent, AuditSink } from "../audit/audit-sink.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { createInvitations, type Operator, type Principal, principalLabel } from "./invitations.js";
import {
  countActiveOwners,
  deleteMembership,
  findMembership,
  listMembershipsOfUser,
  lockAccountMemberships,
  type Membership,
  putMembership,
} from "./memberships-repo.js";
import {
  createOrganisation,
  listOrganisationAccountIds,
  type Organisation,
  organisationOfAccount,
} from "./organisations-repo.js";
import { createUser, findUser, markUserDisabled, type NewUser, type User } from "./users-repo.js";

/**
 * Ends every session and API token of a user at once (offboarding, role removal). Provided by the
 * credentials layer; runs inside the same transaction as the change that requires it.
 */
export type RevokeUserCredentials = (db: Kysely<DB>, userId: string) => Promise<void>;

export interface IdentityServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
  authorizer: Pick<Authorizer, "authorize" | "resolve">;
  revokeUserCredentials: RevokeUserCredentials;
}

function narrows(from: string, to: Role): boolean {
  const next = permissionsOf(to);
  for (const p of permissionsOfStored(from)) if (!next.has(p)) return true;
  return false;
}

/**
 * A refusal decided inside a transaction. Its audit entry is written after the transaction ends: on
 * SQLite the store has one connection, so an audit append from inside the transaction would wait for the
 * transaction, which waits for the append.
 */
export class RefusedInTransaction extends AppError {
  constructor(
    code: "LAST_OWNER",
    readonly event: AuditEvent,
  ) {
    super(code);
  }
}

/** Runs `work` in a transaction; a refusal raised inside it is audited once the transaction is over. */
export async function transactAuditingRefusals<T>(
  db: Kysely<DB>,
  audit: AuditSink,
  work: (trx: Kysely<DB>) => Promise<T>,
): Promise<T> {
  try {
    return await db.transaction().execute(work);
  } catch (err) {
    if (err instanceof RefusedInTransaction) await audit.record(err.event);
    throw err;
  }
}

export function createIdentityService(deps: IdentityServiceDeps) {
  const { db, clock, audit, authorizer, revokeUserCredentials } = deps;
  const invitations = createInvitations(deps);

  async function refuse(
    by: Principal,
    action: string,
    code: "ROLE_ESCALATION" | "USER_NOT_FOUND" | "MEMBERSHIP_NOT_FOUND",
    target: Record<string, string>,
  ): Promise<AppError> {
    await audit.record({ action, actor: principalLabel(by), outcome: "denied", target, reason: code });
    return new AppError(code);
  }

  function refuseInTransaction(by: Principal, action: string, target: Record<string, string>) {
    return new RefusedInTransaction("LAST_OWNER", {
      action,
      actor: principalLabel(by),
      outcome: "denied",
      target,
      reason: "LAST_OWNER",
    });
  }

  /**
   * Checks that `by` manages the account and may touch a membership of `role` there (nobody grants,
   * changes or removes a role holding permissions they lack). Operators pass.
   */
  async function checkManager(by: Principal, action: string, accountId: string, roles: readonly string[]) {
    if (by.kind === "operator") {
      if ((await organisationOfAccount(db, accountId)) === null) throw new AppError("ACCOUNT_NOT_FOUND");
      return;
    }
    const grant = await authorizer.authorize(db, by, "team:manage", accountId);
    for (const role of roles) {
      if (!canGrant(grant.permissions, role as Role)) {
        throw await refuse(by, action, "ROLE_ESCALATION", { account: accountId, role });
      }
    }
  }

  /** The target must be a user of the account's organisation; others are "not found", never listed. */
  async function userOfAccount(by: Principal, action: string, userId: string, accountId: string) {
    const user = await findUser(db, userId);
    const org = await organisationOfAccount(db, accountId);
    if (!user || org === null || user.organisationId !== org) {
      throw await refuse(by, action, "USER_NOT_FOUND", { account: accountId });
    }
    return user;
  }

  /** Removes a membership (last owner kept) and ends the user's credentials, in the caller's transaction. */
  async function revokeMembership(
    trx: Kysely<DB>,
    by: Principal,
    action: string,
    membership: Membership,
  ): Promise<void> {
    await lockAccountMemberships(trx, membership.accountId);
    if (membership.role === "owner" && (await countActiveOwners(trx, membership.accountId)) <= 1) {
      const user = await findUser(trx, membership.userId);
      if (user?.status === "active") {
        throw refuseInTransaction(by, action, {
          account: membership.accountId,
          user: membership.userId,
        });
      }
    }
    await deleteMembership(trx, membership.userId, membership.accountId);
    await revokeUserCredentials(trx, membership.userId);
  }

  return {
    invite: invitations.invite,
    acceptInvitation: invitations.accept,
    revokeMembership,

    async createOrganisation(by: Operator, name: string): Promise<Organisation> {
      const org = await createOrganisation(db, { name }, clock.now());
      await audit.record({
        action: "organisation.create",
        actor: principalLabel(by),
        outcome: "success",
        target: { organisation: org.id },
      });
      return org;
    },

    /** Operators create users directly (CLI); teams invite instead. */
    async createUser(by: Operator, input: NewUser): Promise<User> {
      const user = await createUser(db, input, clock.now());
      await audit.record({
        action: "user.create",
        actor: principalLabel(by),
        outcome: "success",
        target: { user: user.id, ...(user.organisationId ? { organisation: user.organisationId } : {}) },
      });
      return user;
    },

    async grantRole(
      by: Principal,
      input: { userId: string; accountId: string; role: string },
    ): Promise<Membership> {
      const role = parseRole(input.role);
      const action = "team.role.grant";
      const before = await findMembership(db, input.userId, input.accountId);
      await checkManager(by, action, input.accountId, before ? [role, before.role] : [role]);
      const user = await userOfAccount(by, action, input.userId, input.accountId);
      if (user.status !== "active") throw new AppError("USER_DISABLED");
      const membership = await transactAuditingRefusals(db, audit, async (trx) => {
        await lockAccountMemberships(trx, input.accountId);
        const current = await findMembership(trx, input.userId, input.accountId);
        if (
          current?.role === "owner" &&
          role !== "owner" &&
          (await countActiveOwners(trx, input.accountId)) <= 1
        ) {
          throw refuseInTransaction(by, action, { account: input.accountId, user: input.userId });
        }
        const next = await putMembership(
          trx,
          { userId: input.userId, accountId: input.accountId, role, grantedBy: principalLabel(by) },
          clock.now(),
        );
        // Fewer rights than before is a removal: sessions and tokens issued under the old role end now.
        if (current && narrows(current.role, role)) await revokeUserCredentials(trx, input.userId);
        return next;
      });
      await audit.record({
        action,
        actor: principalLabel(by),
        outcome: "success",
        target: {
          user: input.userId,
          account: input.accountId,
          role,
          ...(before ? { previous: before.role } : {}),
        },
      });
      return membership;
    },

    async removeRole(by: Principal, input: { userId: string; accountId: string }): Promise<void> {
      const action = "team.role.remove";
      const membership = await findMembership(db, input.userId, input.accountId);
      await checkManager(by, action, input.accountId, membership ? [membership.role] : []);
      if (!membership) throw await refuse(by, action, "MEMBERSHIP_NOT_FOUND", { account: input.accountId });
      await transactAuditingRefusals(db, audit, (trx) => revokeMembership(trx, by, action, membership));
      await audit.record({
        action,
        actor: principalLabel(by),
        outcome: "success",
        target: { user: input.userId, account: input.accountId, role: membership.role },
      });
    },

    /**
     * Offboarding: the user can no longer act anywhere, and their sessions and API tokens end in the same
     * transaction. Memberships stay as the record of what they held; authorize() refuses disabled users.
     */
    async disableUser(by: Principal, userId: string): Promise<void> {
      const action = "user.disable";
      const user = await findUser(db, userId);
      const memberships = user ? await listMembershipsOfUser(db, userId) : [];
      if (by.kind !== "operator") {
        const self = await findUser(db, by.userId);
        if (!user || !self?.organisationId || user.organisationId !== self.organisationId) {
          throw await refuse(by, action, "USER_NOT_FOUND", {});
        }
        // Managing every account the user holds a role on, at their level or above; a user without roles
        // needs a manager of any account of the organisation.
        const accounts = memberships.length
          ? memberships
          : (await listOrganisationAccountIds(db, self.organisationId)).slice(0, 1).map((accountId) => ({
              accountId,
              role: "viewer",
            }));
        if (accounts.length === 0) throw await refuse(by, action, "USER_NOT_FOUND", {});
        for (const m of accounts) await checkManager(by, action, m.accountId, [m.role]);
      } else if (!user) {
        throw new AppError("USER_NOT_FOUND");
      }
      if (!user) throw new AppError("USER_NOT_FOUND");
      await transactAuditingRefusals(db, audit, async (trx) => {
        for (const m of memberships) {
          if (m.role === "owner") await lockAccountMemberships(trx, m.accountId);
          if (
            m.role === "owner" &&
            user.status === "active" &&
            (await countActiveOwners(trx, m.accountId)) <= 1
          ) {
            throw refuseInTransaction(by, action, { account: m.accountId, user: userId });
          }
        }
        await markUserDisabled(trx, userId, clock.now());
        await revokeUserCredentials(trx, userId);
      });
      await audit.record({ action, actor: principalLabel(by), outcome: "success", target: { user: userId } });
    },
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
