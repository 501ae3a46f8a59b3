import type { Kysely } from "kysely";
import { type FeatureName, isFeatureName } from "../amazon/features.js";
import type { DB, SellerAccountStatus } from "../db/schema.js";

export interface ConnectState {
  stateHash: string;
  userId: string;
  sessionId: string;
  organisationId: string;
  features: FeatureName[];
  expiresAt: string;
  usedAt: string | null;
}

/** Feature names from a stored JSON array; anything unknown (a feature since removed) is dropped. */
export function parseFeatures(json: string): FeatureName[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value)
      ? value.filter((v): v is FeatureName => typeof v === "string" && isFeatureName(v))
      : [];
  } catch {
    return [];
  }
}

export function parseStringList(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}

export async function insertConnectState(db: Kysely<DB>, row: DB["connect_states"]): Promise<void> {
  await db.insertInto("connect_states").values(row).execute();
}

export async function findConnectState(db: Kysely<DB>, stateHash: string): Promise<ConnectState | null> {
  const row = await db
    .selectFrom("connect_states")
    .selectAll()
    .where("state_hash", "=", stateHash)
    .executeTakeFirst();
  if (!row) return null;
  return {
    stateHash: row.state_hash,
    userId: row.user_id,
    sessionId: row.session_id,
    organisationId: row.organisation_id,
    features: parseFeatures(row.features),
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

/** Marks the state used; false when another request used it first (the update is the single-use check). */
export async function consumeConnectState(db: Kysely<DB>, stateHash: string, now: Date): Promise<boolean> {
  const res = await db
    .updateTable("connect_states")
    .set({ used_at: now.toISOString() })
    .where("state_hash", "=", stateHash)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** States are useless five minutes after they were issued; this keeps the table small. */
export async function deleteExpiredConnectStates(db: Kysely<DB>, now: Date): Promise<number> {
  const res = await db
    .deleteFrom("connect_states")
    .where("expires_at", "<", now.toISOString())
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

export async function findAccountBySellingPartner(
  db: Kysely<DB>,
  organisationId: string,
  sellingPartnerId: string,
): Promise<{ id: string; status: SellerAccountStatus } | null> {
  const row = await db
    .selectFrom("seller_accounts")
    .select(["id", "status"])
    .where("organisation_id", "=", organisationId)
    .where("selling_partner_id", "=", sellingPartnerId)
    .where("status", "!=", "closed")
    .orderBy("created_at")
    .executeTakeFirst();
  return row ?? null;
}

export async function recordAuthorization(
  db: Kysely<DB>,
  accountId: string,
  input: { features: readonly FeatureName[] },
  now: Date,
): Promise<void> {
  const at = now.toISOString();
  await db
    .updateTable("seller_accounts")
    .set({
      status: "active",
      features: JSON.stringify([...input.features]),
      authorized_at: at,
      revoked_at: null,
      updated_at: at,
    })
    .where("id", "=", accountId)
    .execute();
}

export async function recordMarketplaces(
  db: Kysely<DB>,
  accountId: string,
  marketplaceIds: readonly string[],
  now: Date,
): Promise<void> {
  await db
    .updateTable("seller_accounts")
    .set({ marketplaces: JSON.stringify([...marketplaceIds]), updated_at: now.toISOString() })
    .where("id", "=", accountId)
    .execute();
}

/** Active -> authorization_revoked; false when the account was not active (already revoked, closed, gone). */
/**
 * Active -> authorization_revoked. `authorizedBefore`: only if the current authorization is older than that
 * (when the refused call started), so a refusal of the old authorization cannot revoke a reconnect that
 * happened while the call was under way.
 */
export async function markAccountRevoked(
  db: Kysely<DB>,
  accountId: string,
  now: Date,
  options: { authorizedBefore?: Date } = {},
): Promise<boolean> {
  const at = now.toISOString();
  const before = options.authorizedBefore?.toISOString();
  const res = await db
    .updateTable("seller_accounts")
    .set({ status: "authorization_revoked", revoked_at: at, updated_at: at })
    .where("id", "=", accountId)
    .where("status", "=", "active")
    .$if(before !== undefined, (q) =>
      q.where((eb) => eb.or([eb("authorized_at", "is", null), eb("authorized_at", "<", before ?? "")])),
    )
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export interface ConnectionInfo {
  id: string;
  organisationId: string | null;
  region: string;
  status: SellerAccountStatus;
  features: FeatureName[];
  marketplaces: string[];
  authorizedAt: string | null;
  revokedAt: string | null;
}

export async function readConnection(db: Kysely<DB>, accountId: string): Promise<ConnectionInfo | null> {
  const row = await db
    .selectFrom("seller_accounts")
    .select([
      "id",
      "organisation_id",
      "region",
      "status",
      "features",
      "marketplaces",
      "authorized_at",
      "revoked_at",
    ])
    .where("id", "=", accountId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    organisationId: row.organisation_id,
    region: row.region,
    status: row.status,
    features: parseFeatures(row.features),
    marketplaces: parseStringList(row.marketplaces),
    authorizedAt: row.authorized_at,
    revokedAt: row.revoked_at,
  };
}

/** Instance admins, and owners of any account of the organisation, may connect seller accounts to it. */
export async function mayConnect(db: Kysely<DB>, userId: string, organisationId: string): Promise<boolean> {
  const user = await db
    .selectFrom("users")
    .select(["is_instance_admin", "organisation_id", "status"])
    .where("id", "=", userId)
    .executeTakeFirst();
  if (user?.status !== "active" || user.organisation_id !== organisationId) return false;
  if (user.is_instance_admin === 1) return true;
  const owner = await db
    .selectFrom("memberships")
    .innerJoin("seller_accounts", "seller_accounts.id", "memberships.seller_account_id")
    .select("memberships.user_id")
    .where("memberships.user_id", "=", userId)
    .where("memberships.role", "=", "owner")
    .where("seller_accounts.organisation_id", "=", organisationId)
    .executeTakeFirst();
  return owner !== undefined;
}
