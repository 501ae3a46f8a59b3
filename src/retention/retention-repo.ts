import type { Kysely } from "kysely";
import type { DB, DeletionRequestsTable, LegalHoldsTable } from "../db/schema.js";
import { newId } from "../platform/ids.js";
import { orderRowId } from "../sync/orders-repo.js";

export interface LegalHold {
  id: string;
  accountId: string;
  /** Null: the whole account is held. */
  amazonOrderId: string | null;
  reason: string;
  owner: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  releasedAt: string | null;
  releasedBy: string | null;
  active: boolean;
}

function toHold(row: LegalHoldsTable, now: string): LegalHold {
  return {
    id: row.id,
    accountId: row.account_id,
    amazonOrderId: row.amazon_order_id,
    reason: row.reason,
    owner: row.owner,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    releasedAt: row.released_at,
    releasedBy: row.released_by,
    active: isActive(row, now),
  };
}

function isActive(row: Pick<LegalHoldsTable, "released_at" | "expires_at">, now: string): boolean {
  return row.released_at === null && (row.expires_at === null || row.expires_at > now);
}

export async function createLegalHold(
  db: Kysely<DB>,
  input: {
    accountId: string;
    amazonOrderId: string | null;
    reason: string;
    owner: string;
    createdBy: string;
    expiresAt: string | null;
  },
  now: Date,
): Promise<LegalHold> {
  const row: LegalHoldsTable = {
    id: newId(),
    account_id: input.accountId,
    amazon_order_id: input.amazonOrderId,
    order_row_id: input.amazonOrderId === null ? null : orderRowId(input.accountId, input.amazonOrderId),
    reason: input.reason,
    owner: input.owner,
    created_by: input.createdBy,
    created_at: now.toISOString(),
    expires_at: input.expiresAt,
    released_at: null,
    released_by: null,
  };
  await db.insertInto("legal_holds").values(row).execute();
  return toHold(row, now.toISOString());
}

export async function listLegalHolds(db: Kysely<DB>, accountId: string, now: Date): Promise<LegalHold[]> {
  const rows = await db
    .selectFrom("legal_holds")
    .selectAll()
    .where("account_id", "=", accountId)
    .orderBy("created_at", "desc")
    .orderBy("id")
    .limit(500)
    .execute();
  return rows.map((r) => toHold(r, now.toISOString()));
}

/** Releases an active hold; false when there is none of this id on the account (or it already ended). */
export async function releaseLegalHold(
  db: Kysely<DB>,
  accountId: string,
  holdId: string,
  by: string,
  now: Date,
): Promise<boolean> {
  const at = now.toISOString();
  const res = await db
    .updateTable("legal_holds")
    .set({ released_at: at, released_by: by })
    .where("id", "=", holdId)
    .where("account_id", "=", accountId)
    .where("released_at", "is", null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** The holds in force at `now`: whole accounts, and single orders (by order row id). */
export async function activeHolds(
  db: Kysely<DB>,
  now: Date,
): Promise<{ accounts: Set<string>; orders: Set<string> }> {
  const at = now.toISOString();
  const rows = await db
    .selectFrom("legal_holds")
    .select(["account_id", "order_row_id"])
    .where("released_at", "is", null)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", at)]))
    .execute();
  const accounts = new Set<string>();
  const orders = new Set<string>();
  for (const r of rows) {
    if (r.order_row_id === null) accounts.add(r.account_id);
    else orders.add(r.order_row_id);
  }
  return { accounts, orders };
}

export interface DeletionRequest {
  id: string;
  accountId: string;
  kind: DeletionRequestsTable["kind"];
  status: DeletionRequestsTable["status"];
  requestedBy: string;
  requestedAt: string;
  executeAfter: string;
  deadline: string;
  remindersSent: number;
  completedAt: string | null;
  cancelledAt: string | null;
  receiptId: string | null;
  receiptHash: string | null;
}

type DeletionRequestRow = DeletionRequestsTable;

export function toRequest(row: DeletionRequestRow): DeletionRequest {
  return {
    id: row.id,
    accountId: row.account_id,
    kind: row.kind,
    status: row.status,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    executeAfter: row.execute_after,
    deadline: row.deadline,
    remindersSent: Number(row.reminders_sent),
    completedAt: row.completed_at,
    cancelledAt: row.cancelled_at,
    receiptId: row.receipt_id,
    receiptHash: row.receipt_hash,
  };
}

export async function openDeletionRequest(
  db: Kysely<DB>,
  accountId: string,
): Promise<DeletionRequest | null> {
  const row = await db
    .selectFrom("deletion_requests")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("status", "=", "scheduled")
    .orderBy("requested_at")
    .executeTakeFirst();
  return row ? toRequest(row) : null;
}

export async function listDeletionRequests(db: Kysely<DB>, accountId: string): Promise<DeletionRequest[]> {
  const rows = await db
    .selectFrom("deletion_requests")
    .selectAll()
    .where("account_id", "=", accountId)
    .orderBy("requested_at", "desc")
    .orderBy("id")
    .limit(100)
    .execute();
  return rows.map(toRequest);
}

export async function insertDeletionRequest(
  db: Kysely<DB>,
  input: Pick<DeletionRequest, "accountId" | "kind" | "requestedBy" | "executeAfter" | "deadline">,
  now: Date,
): Promise<DeletionRequest> {
  const at = now.toISOString();
  const row: DeletionRequestRow = {
    id: newId(),
    account_id: input.accountId,
    kind: input.kind,
    status: "scheduled",
    requested_by: input.requestedBy,
    requested_at: at,
    execute_after: input.executeAfter,
    deadline: input.deadline,
    reminders_sent: 0,
    completed_at: null,
    cancelled_at: null,
    receipt_id: null,
    receipt_hash: null,
    updated_at: at,
  };
  await db.insertInto("deletion_requests").values(row).execute();
  return toRequest(row);
}

export async function scheduledDeletionRequests(db: Kysely<DB>): Promise<DeletionRequest[]> {
  const rows = await db
    .selectFrom("deletion_requests")
    .selectAll()
    .where("status", "=", "scheduled")
    .orderBy("execute_after")
    .orderBy("id")
    .execute();
  return rows.map(toRequest);
}

export async function updateDeletionRequest(
  db: Kysely<DB>,
  id: string,
  set: Partial<
    Pick<
      DeletionRequestsTable,
      "status" | "completed_at" | "cancelled_at" | "receipt_id" | "receipt_hash" | "reminders_sent"
    >
  >,
  now: Date,
): Promise<boolean> {
  const res = await db
    .updateTable("deletion_requests")
    .set({ ...set, updated_at: now.toISOString() })
    .where("id", "=", id)
    .where("status", "=", "scheduled")
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
