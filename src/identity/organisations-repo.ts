import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { AppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";

export interface Organisation {
  id: string;
  name: string;
  createdAt: string;
}

const MAX_NAME = 200;

export async function createOrganisation(
  db: Kysely<DB>,
  input: { name: string },
  now: Date,
): Promise<Organisation> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > MAX_NAME) {
    throw new AppError("VALIDATION_FAILED", undefined, { details: { field: "name", max: MAX_NAME } });
  }
  const org = { id: newId(), name, createdAt: now.toISOString() };
  await db.insertInto("organisations").values({ id: org.id, name, created_at: org.createdAt }).execute();
  return org;
}

export async function findOrganisation(db: Kysely<DB>, id: string): Promise<Organisation | null> {
  const row = await db.selectFrom("organisations").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
}

export async function requireOrganisation(db: Kysely<DB>, id: string): Promise<Organisation> {
  const org = await findOrganisation(db, id);
  if (!org) throw new AppError("ORGANISATION_NOT_FOUND");
  return org;
}

export async function listOrganisations(db: Kysely<DB>): Promise<Organisation[]> {
  const rows = await db.selectFrom("organisations").selectAll().orderBy("created_at").orderBy("id").execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
}

/**
 * Gives an unowned seller account to an organisation. An account never moves between organisations:
 * that would hand one seller's data to another team, so it needs deleting and reconnecting instead.
 */
export async function assignSellerAccount(
  db: Kysely<DB>,
  accountId: string,
  organisationId: string,
): Promise<void> {
  await requireOrganisation(db, organisationId);
  const account = await db
    .selectFrom("seller_accounts")
    .select(["id", "organisation_id"])
    .where("id", "=", accountId)
    .executeTakeFirst();
  if (!account) throw new AppError("ACCOUNT_NOT_FOUND");
  if (account.organisation_id === organisationId) return;
  if (account.organisation_id !== null) {
    throw new AppError("BAD_REQUEST", "This seller account already belongs to another organisation.");
  }
  await db
    .updateTable("seller_accounts")
    .set({ organisation_id: organisationId })
    .where("id", "=", accountId)
    .where("organisation_id", "is", null)
    .execute();
}

/** The organisation owning a seller account, or null when the account is unknown or unowned. */
export async function organisationOfAccount(db: Kysely<DB>, accountId: string): Promise<string | null> {
  const row = await db
    .selectFrom("seller_accounts")
    .select("organisation_id")
    .where("id", "=", accountId)
    .executeTakeFirst();
  return row?.organisation_id ?? null;
}

export async function listOrganisationAccountIds(db: Kysely<DB>, organisationId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("seller_accounts")
    .select("id")
    .where("organisation_id", "=", organisationId)
    .orderBy("id")
    .execute();
  return rows.map((r) => r.id);
}
