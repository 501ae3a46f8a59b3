import { type Kysely, sql } from "kysely";
import type { Database } from "../db/database.js";
import type { AuditCheckpointKind, AuditCheckpointsTable, AuditEntriesTable, DB } from "../db/schema.js";
import { type AuditSigner, entryHash, GENESIS_HASH } from "./audit-chain.js";

export type AuditEntryRow = AuditEntriesTable;
export type AuditCheckpointRow = AuditCheckpointsTable;

/** Every writer of the audit tables (appends, retention) takes this one lock: seq and prev_hash stay a chain. */
const PG_APPEND_LOCK = 0x5350_4155; // "SPAU"

/**
 * Runs `fn` in a write transaction that holds the audit append lock.
 * PostgreSQL: a transaction-scoped advisory lock, so appends from every process (and every pool connection)
 * queue up; under READ COMMITTED each later statement sees what the previous holder committed.
 * SQLite: BEGIN IMMEDIATE takes the write lock before the head is read (a deferred BEGIN would fail with
 * SQLITE_BUSY_SNAPSHOT when another process appended between our read and our write); busy_timeout waits.
 * In one process, Kysely's SQLite driver hands out its single connection to one user at a time, so never
 * call this (or AuditSink.record) while holding a transaction on the same SQLite store: it would wait forever.
 */
export async function withAppendLock<T>(
  database: Pick<Database, "db" | "kind">,
  fn: (db: Kysely<DB>) => Promise<T>,
): Promise<T> {
  if (database.kind === "postgres") {
    return database.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${PG_APPEND_LOCK}::bigint)`.execute(trx);
      return fn(trx);
    });
  }
  return database.db.connection().execute(async (conn) => {
    await sql`BEGIN IMMEDIATE`.execute(conn);
    let result: T;
    try {
      result = await fn(conn);
    } catch (err) {
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw err;
    }
    await sql`COMMIT`.execute(conn);
    return result;
  });
}

export interface ChainHead {
  seq: number;
  hash: string;
}

/** The last entry, or the latest retention anchor when retention removed every entry, or genesis. */
export async function readHead(db: Kysely<DB>): Promise<ChainHead> {
  const last = await db
    .selectFrom("audit_entries")
    .select(["seq", "hash"])
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  if (last) return { seq: last.seq, hash: last.hash };
  const anchor = await latestSigned(db, "anchor");
  return anchor ? { seq: anchor.seq, hash: anchor.head_hash } : { seq: 0, hash: GENESIS_HASH };
}

export function latestSigned(db: Kysely<DB>, kind: AuditCheckpointKind) {
  return db
    .selectFrom("audit_checkpoints")
    .selectAll()
    .where("kind", "=", kind)
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
}

/** An entry before it has a place in the chain. */
export type NewEntry = Omit<AuditEntryRow, "seq" | "prev_hash" | "hash">;

/** ~11 values a row: far below both stores' bound-parameter limits. */
const ROWS_PER_INSERT = 500;

/** Chains and inserts entries after `head` (the caller holds the append lock); returns the new head. */
export async function appendEntries(
  db: Kysely<DB>,
  head: ChainHead,
  entries: readonly NewEntry[],
): Promise<ChainHead> {
  let { seq, hash } = head;
  const rows: AuditEntryRow[] = entries.map((e) => {
    const prev_hash = hash;
    hash = entryHash({ ...e, prev_hash });
    seq += 1;
    return { ...e, seq, prev_hash, hash };
  });
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await db
      .insertInto("audit_entries")
      .values(rows.slice(i, i + ROWS_PER_INSERT))
      .execute();
  }
  return { seq, hash };
}

export async function insertSigned(
  db: Kysely<DB>,
  signer: AuditSigner,
  kind: AuditCheckpointKind,
  head: ChainHead,
  now: Date,
): Promise<AuditCheckpointRow> {
  const statement = {
    kind,
    seq: head.seq,
    head_hash: head.hash,
    at: now.toISOString(),
    key_id: signer.keyId,
  };
  const row: AuditCheckpointRow = {
    ...statement,
    public_key: signer.publicKey,
    signature: signer.sign(statement),
  };
  await db.insertInto("audit_checkpoints").values(row).execute();
  return row;
}

/** Rows in seq order, one page at a time (keyset paging on the primary key): never the whole table. */
export async function* entryPages(
  db: Kysely<DB>,
  options: { afterSeq?: number; throughSeq?: number; since?: string; pageSize?: number } = {},
): AsyncGenerator<AuditEntryRow[]> {
  const pageSize = options.pageSize ?? 1000;
  let after = options.afterSeq ?? 0;
  for (;;) {
    let query = db
      .selectFrom("audit_entries")
      .selectAll()
      .where("seq", ">", after)
      .orderBy("seq")
      .limit(pageSize);
    if (options.throughSeq !== undefined) query = query.where("seq", "<=", options.throughSeq);
    if (options.since !== undefined) query = query.where("at", ">=", options.since);
    const rows = await query.execute();
    if (rows.length === 0) return;
    yield rows;
    after = (rows[rows.length - 1] as AuditEntryRow).seq;
    if (rows.length < pageSize) return;
  }
}

export async function* checkpointPages(
  db: Kysely<DB>,
  kind: AuditCheckpointKind,
  throughSeq: number,
  pageSize = 1000,
): AsyncGenerator<AuditCheckpointRow[]> {
  let after = -1;
  for (;;) {
    const rows = await db
      .selectFrom("audit_checkpoints")
      .selectAll()
      .where("kind", "=", kind)
      .where("seq", ">", after)
      .where("seq", "<=", throughSeq)
      .orderBy("seq")
      .limit(pageSize)
      .execute();
    if (rows.length === 0) return;
    yield rows;
    after = (rows[rows.length - 1] as AuditCheckpointRow).seq;
    if (rows.length < pageSize) return;
  }
}
