import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";

export interface Invitation {
  id: string;
  organisationId: string;
  accountId: string;
  /** Personal data: never logged or audited. */
  email: string;
  role: string;
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
  acceptedAt: string | null;
  acceptedUserId: string | null;
}

function toInvitation(r: DB["invitations"]): Invitation {
  return {
    id: r.id,
    organisationId: r.organisation_id,
    accountId: r.seller_account_id,
    email: r.email,
    role: r.role,
    invitedBy: r.invited_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    acceptedAt: r.accepted_at,
    acceptedUserId: r.accepted_user_id,
  };
}

export async function insertInvitation(db: Kysely<DB>, row: DB["invitations"]): Promise<Invitation> {
  await db.insertInto("invitations").values(row).execute();
  return toInvitation(row);
}

export async function findInvitationByTokenHash(
  db: Kysely<DB>,
  tokenHash: string,
): Promise<Invitation | null> {
  const row = await db
    .selectFrom("invitations")
    .selectAll()
    .where("token_hash", "=", tokenHash)
    .executeTakeFirst();
  return row ? toInvitation(row) : null;
}

/** Single use under concurrency: only the first caller flips accepted_at; later ones get false. */
export async function markInvitationAccepted(
  db: Kysely<DB>,
  id: string,
  userId: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable("invitations")
    .set({ accepted_at: now.toISOString(), accepted_user_id: userId })
    .where("id", "=", id)
    .where("accepted_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function listPendingInvitations(
  db: Kysely<DB>,
  accountId: string,
  now: Date,
): Promise<Invitation[]> {
  const rows = await db
    .selectFrom("invitations")
    .selectAll()
    .where("seller_account_id", "=", accountId)
    .where("accepted_at", "is", null)
    .where("expires_at", ">", now.toISOString())
    .orderBy("created_at")
    .execute();
  return rows.map(toInvitation);
}
