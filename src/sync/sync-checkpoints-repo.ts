import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";

/** Where one stream (orders, inventory, prices, finances, a report window...) of one account stands. */
export interface SyncCheckpoint {
  accountId: string;
  stream: string;
  /** Opaque to storage: the stream's own resume point (a lastUpdatedAfter time, a next token, ...). */
  cursor: string | null;
  updatedAt: string;
  lastSuccessAt: string | null;
  lastErrorCode: string | null;
  lastErrorAt: string | null;
  throttledCount: number;
}

function toCheckpoint(r: {
  account_id: string;
  stream: string;
  cursor: string | null;
  updated_at: string;
  last_success_at: string | null;
  last_error_code: string | null;
  last_error_at: string | null;
  throttled_count: number;
}): SyncCheckpoint {
  return {
    accountId: r.account_id,
    stream: r.stream,
    cursor: r.cursor,
    updatedAt: r.updated_at,
    lastSuccessAt: r.last_success_at,
    lastErrorCode: r.last_error_code,
    lastErrorAt: r.last_error_at,
    throttledCount: Number(r.throttled_count),
  };
}

export async function getCheckpoint(
  db: Kysely<DB>,
  accountId: string,
  stream: string,
): Promise<SyncCheckpoint | null> {
  const row = await db
    .selectFrom("sync_checkpoints")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("stream", "=", stream)
    .executeTakeFirst();
  return row ? toCheckpoint(row) : null;
}

export async function listCheckpoints(db: Kysely<DB>, accountId: string): Promise<SyncCheckpoint[]> {
  const rows = await db
    .selectFrom("sync_checkpoints")
    .selectAll()
    .where("account_id", "=", accountId)
    .orderBy("stream")
    .execute();
  return rows.map(toCheckpoint);
}

/**
 * Moves a stream's cursor after its data was stored (call it in the same transaction as the data, so a
 * crash keeps both or neither). With `expected`, it moves only from that cursor (compare-and-set), so two
 * workers cannot both advance one stream; returns whether it moved. Success clears the last error.
 */
export async function saveCheckpoint(
  db: Kysely<DB>,
  input: { accountId: string; stream: string; cursor: string; now: Date; expected?: string | null },
): Promise<boolean> {
  const at = input.now.toISOString();
  if (input.expected !== undefined) {
    let update = db
      .updateTable("sync_checkpoints")
      .set({
        cursor: input.cursor,
        updated_at: at,
        last_success_at: at,
        last_error_code: null,
        last_error_at: null,
      })
      .where("account_id", "=", input.accountId)
      .where("stream", "=", input.stream);
    update =
      input.expected === null
        ? update.where("cursor", "is", null)
        : update.where("cursor", "=", input.expected);
    const [done] = await update.execute();
    if (Number(done?.numUpdatedRows ?? 0) === 1) return true;
    if (input.expected !== null) return false;
    // Nothing stored yet counts as a null cursor: the first writer creates the row.
    const [created] = await db
      .insertInto("sync_checkpoints")
      .values(row(input.accountId, input.stream, input.cursor, at))
      .onConflict((oc) => oc.columns(["account_id", "stream"]).doNothing())
      .execute();
    return Number(created?.numInsertedOrUpdatedRows ?? 0) === 1;
  }
  await db
    .insertInto("sync_checkpoints")
    .values(row(input.accountId, input.stream, input.cursor, at))
    .onConflict((oc) =>
      oc.columns(["account_id", "stream"]).doUpdateSet({
        cursor: input.cursor,
        updated_at: at,
        last_success_at: at,
        last_error_code: null,
        last_error_at: null,
      }),
    )
    .execute();
  return true;
}

function row(accountId: string, stream: string, cursor: string | null, at: string) {
  return {
    account_id: accountId,
    stream,
    cursor,
    updated_at: at,
    last_success_at: cursor === null ? null : at,
    last_error_code: null,
    last_error_at: null,
    throttled_count: 0,
  };
}

/** Records a failed run (a catalog error code, never a message); the cursor stays where it was. */
export async function recordSyncError(
  db: Kysely<DB>,
  input: { accountId: string; stream: string; code: string; now: Date },
): Promise<void> {
  const at = input.now.toISOString();
  const code = input.code.slice(0, 64);
  await db
    .insertInto("sync_checkpoints")
    .values({ ...row(input.accountId, input.stream, null, at), last_error_code: code, last_error_at: at })
    .onConflict((oc) =>
      oc
        .columns(["account_id", "stream"])
        .doUpdateSet({ last_error_code: code, last_error_at: at, updated_at: at }),
    )
    .execute();
}

/** Adds to the stream's count of 429s (sync health shows throttling per account). */
export async function addThrottled(
  db: Kysely<DB>,
  input: { accountId: string; stream: string; count: number; now: Date },
): Promise<void> {
  if (!Number.isInteger(input.count) || input.count <= 0) return;
  const at = input.now.toISOString();
  await db
    .insertInto("sync_checkpoints")
    .values({ ...row(input.accountId, input.stream, null, at), throttled_count: input.count })
    .onConflict((oc) =>
      oc.columns(["account_id", "stream"]).doUpdateSet((eb) => ({
        throttled_count: eb("sync_checkpoints.throttled_count", "+", input.count),
        updated_at: at,
      })),
    )
    .execute();
}
