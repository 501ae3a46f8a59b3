import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";

export interface Membership {
  userId: string;
  accountId: string;
  /** As stored; roles.ts turns unknown names into no permissions. */
  role: string;
  grantedBy: string;
  grantedAt: string;
}

function toMembership(r: DB["memberships"]): Membership {
  return {
    userId: r.user_id,
    accountId: r.seller_account_id,
    role: r.role,
    grantedBy: r.granted_by,
    grantedAt: r.granted_at,
  };
}

export async function findMembership(
  db: Kysely<DB>,
  userId: string,
  accountId: string,
): Promise<Membership | null> {
  const row = await db
    .selectFrom("memberships")
    .selectAll()
    .where("user_id", "=", userId)
    .where("seller_account_id", "=", accountId)
    .executeTakeFirst();
  return row ? toMembership(row) : null;
}

/** One role per user and account: granting again replaces the role. */
export async function putMembership(
  db: Kysely<DB>,
  input: { userId: string; accountId: string; role: string; grantedBy: string },
  now: Date,
): Promise<Membership> {
  const row: DB["memberships"] = {
    user_id: input.userId,
    seller_account_id: input.accountId,
    role: input.role,
    granted_by: input.grantedBy,
    granted_at: now.toISOString(),
  };
  const updated = await db
    .updateTable("memberships")
    .set({ role: row.role, granted_by: row.granted_by, granted_at: row.granted_at })
    .where("user_id", "=", row.user_id)
    .where("seller_account_id", "=", row.seller_account_id)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) await db.insertInto("memberships").values(row).execute();
  return toMembership(row);
}

export async function deleteMembership(db: Kysely<DB>, userId: string, accountId: string): Promise<boolean> {
  const result = await db
    .deleteFrom("memberships")
    .where("user_id", "=", userId)
    .where("seller_account_id", "=", accountId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listMembershipsOfUser(db: Kysely<DB>, userId: string): Promise<Membership[]> {
  const rows = await db
    .selectFrom("memberships")
    .selectAll()
    .where("user_id", "=", userId)
    .orderBy("seller_account_id")
    .execute();
  return rows.map(toMembership);
}

/** Every role on every seller account the organisation owns (what an access review lists). */
export async function listMembershipsOfOrganisation(
  db: Kysely<DB>,
  organisationId: string,
): Promise<Membership[]> {
  const rows = await db
    .selectFrom("memberships")
    .innerJoin("seller_accounts", "seller_accounts.id", "memberships.seller_account_id")
    .selectAll("memberships")
    .where("seller_accounts.organisation_id", "=", organisationId)
    .orderBy("memberships.seller_account_id")
    .orderBy("memberships.user_id")
    .execute();
  return rows.map(toMembership);
}

/**
 * Serializes role changes on one account until the transaction ends. A no-op UPDATE takes PostgreSQL's
 * row lock on both stores' one code path (SQLite already runs one writer at a time), so two managers
 * removing the last two owners at once cannot both see "another owner remains".
 */
export async function lockAccountMemberships(db: Kysely<DB>, accountId: string): Promise<void> {
  await db
    .updateTable("seller_accounts")
    .set((eb) => ({ organisation_id: eb.ref("organisation_id") }))
    .where("id", "=", accountId)
    .execute();
}

/** Owners who can still act: a disabled owner does not keep an account governable. */
export async function countActiveOwners(db: Kysely<DB>, accountId: string): Promise<number> {
  const row = await db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select((eb) => eb.fn.countAll<string | number>().as("n"))
    .where("memberships.seller_account_id", "=", accountId)
    .where("memberships.role", "=", "owner")
    .where("users.status", "=", "active")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
