import { createHash, type Hash } from "node:crypto";
import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  PostgresAdapter,
  type SqlBool,
  sql,
} from "kysely";
import type { DB } from "../db/schema.js";
import { inTransaction } from "../sync/orders-repo.js";
import { daysBefore, UNDELIVERED_PII_DAYS } from "./retention-policy.js";

export interface Holds {
  accounts: ReadonlySet<string>;
  orders: ReadonlySet<string>;
}

/** How many hashed ids a receipt lists in full; the digest covers all of them. */
export const RECEIPT_SAMPLE = 100;

/** A deleted record's id as a receipt carries it: SHA-256, so the receipt itself holds no id in the clear. */
export function hashedId(kind: string, id: string): string {
  return createHash("sha256").update(`${kind}:${id}`).digest("hex");
}

/** Hashed ids of what a run deleted: a digest over all of them, and the first few in full. */
export class IdLedger {
  readonly #hash: Hash = createHash("sha256");
  count = 0;
  readonly sample: string[] = [];

  constructor(readonly kind: string) {}

  add(id: string): void {
    const h = hashedId(this.kind, id);
    this.#hash.update(`${h}\n`);
    this.count += 1;
    if (this.sample.length < RECEIPT_SAMPLE) this.sample.push(h);
  }

  digest(): string {
    return this.#hash.copy().digest("hex");
  }
}

type PiiScope = ExpressionBuilder<DB, "order_buyer_pii" | "orders">;

/**
 * Buyer data whose retention has ended at `at`: purge_after (30 days after delivery, promised delivery or
 * cancellation; see orders-repo purgeAfter) has passed, or the order never gave any of those and its
 * latest ship date (else purchase date) is UNDELIVERED_PII_DAYS behind.
 */
function dueAt(eb: PiiScope, at: Date) {
  const now = at.toISOString();
  const undelivered = daysBefore(at, UNDELIVERED_PII_DAYS);
  return eb.or([
    eb.and([eb("order_buyer_pii.purge_after", "is not", null), eb("order_buyer_pii.purge_after", "<=", now)]),
    eb.and([
      eb("order_buyer_pii.purge_after", "is", null),
      eb(eb.fn.coalesce("orders.latest_ship_date", "orders.purchase_date"), "<=", undelivered),
    ]),
  ]);
}

function dueRows(db: Kysely<DB>, at: Date) {
  return db
    .selectFrom("order_buyer_pii")
    .innerJoin("orders", "orders.id", "order_buyer_pii.order_id")
    .where((eb) => dueAt(eb, at));
}

function isHeld(holds: Holds, row: { order_id: string; account_id: string }): boolean {
  return holds.accounts.has(row.account_id) || holds.orders.has(row.order_id);
}

export interface BuyerPiiCounts {
  records: number;
  /** Past retention and not exempt. */
  overdue: number;
  /** Past retention but kept by a legal hold. */
  held: number;
}

/** Held order ids per statement: keeps bind parameters bounded on both stores. */
const HOLD_CHUNK = 1000;

type Narrow = (eb: ExpressionBuilder<DB, "order_buyer_pii">) => Expression<SqlBool>;

/**
 * Due rows among those `narrow` selects, counted in SQL: the dated ones (purge_after set) come off the
 * purge_after index without touching the table, the undated ones are joined to their order.
 */
async function countDue(db: Kysely<DB>, at: Date, narrow: Narrow): Promise<number> {
  const dated = await db
    .selectFrom("order_buyer_pii")
    .where("purge_after", "<=", at.toISOString())
    .where(narrow)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  const undated = await db
    .selectFrom("order_buyer_pii")
    .innerJoin("orders", "orders.id", "order_buyer_pii.order_id")
    .where("order_buyer_pii.purge_after", "is", null)
    .where((eb) =>
      eb(
        eb.fn.coalesce("orders.latest_ship_date", "orders.purchase_date"),
        "<=",
        daysBefore(at, UNDELIVERED_PII_DAYS),
      ),
    )
    .where((eb) => narrow(eb))
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(dated.n) + Number(undated.n);
}

function chunks<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

/** Buyer records, the due ones and those of them a hold keeps: in the whole store, or one seller account. */
export async function countBuyerPii(
  db: Kysely<DB>,
  at: Date,
  holds: Holds,
  accountId: string | null,
): Promise<BuyerPiiCounts> {
  const inScope = (eb: ExpressionBuilder<DB, "order_buyer_pii">, narrow: Expression<SqlBool>) =>
    accountId === null ? narrow : eb.and([eb("order_buyer_pii.account_id", "=", accountId), narrow]);
  const { n } = await db
    .selectFrom("order_buyer_pii")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .$if(accountId !== null, (q) => q.where("account_id", "=", accountId ?? ""))
    .executeTakeFirstOrThrow();
  const due = await countDue(db, at, (eb) => inScope(eb, eb.lit(true)));
  const accounts = [...holds.accounts];
  let held = 0;
  // A held account's rows once, then held orders outside those accounts (each row counted once).
  if (accounts.length > 0)
    held += await countDue(db, at, (eb) => inScope(eb, eb("order_buyer_pii.account_id", "in", accounts)));
  for (const ids of chunks([...holds.orders], HOLD_CHUNK)) {
    held += await countDue(db, at, (eb) =>
      inScope(
        eb,
        eb.and([
          eb("order_buyer_pii.order_id", "in", ids),
          ...(accounts.length > 0 ? [eb("order_buyer_pii.account_id", "not in", accounts)] : []),
        ]),
      ),
    );
  }
  return { records: Number(n), overdue: due - held, held };
}

export interface PurgeOptions {
  at: Date;
  holds: Holds;
  /** Rows per transaction: how long a reader sharing the connection may wait. */
  batchSize: number;
  onBatch?: (purged: number) => void;
  /** Checked before each batch: an abort ends the purge with what it has done so far (stopped: true). */
  signal?: AbortSignal | undefined;
}

export interface BuyerPiiPurge {
  purged: number;
  held: number;
  ids: IdLedger;
  /** Ended by the signal before every due row was seen. */
  stopped: boolean;
}

/**
 * Where the purge's keyset walks. SQLite: the rowid, i.e. the table's physical order — orders and their
 * buyer rows are written together, so a batch rewrites a few neighbouring pages of each table instead of
 * one page per row (a page rewrite is the cost: re-encrypted, written to the WAL, checkpointed). An
 * updated row keeps its rowid; one rewritten under a new rowid behind the cursor waits for the next run.
 * PostgreSQL: the primary key.
 */
function walkKey(db: Kysely<DB>) {
  return db.getExecutor().adapter instanceof PostgresAdapter
    ? { ref: sql<string | number>`order_buyer_pii.order_id`, start: "" as string | number }
    : { ref: sql<string | number>`order_buyer_pii.rowid`, start: Number.MIN_SAFE_INTEGER as string | number };
}

/**
 * WAL pages between automatic checkpoints while the purge runs (SQLite; ~32 MB at the 4 KiB page). At
 * SQLite's default of 1000 every batch commit crosses the threshold and pays a checkpoint with its two
 * fsyncs, which made up most of the purge's time; other connections' readers are never blocked by them.
 */
export const PURGE_WAL_PAGES = 8192;

async function withSparseCheckpoints<T>(db: Kysely<DB>, fn: () => Promise<T>): Promise<T> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return fn();
  const { rows } = await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(db);
  const previous = rows[0]?.wal_autocheckpoint;
  // 0: the operator turned automatic checkpoints off; a larger threshold is theirs too.
  if (previous === undefined || previous <= 0 || previous >= PURGE_WAL_PAGES) return fn();
  await sql`PRAGMA wal_autocheckpoint = ${sql.lit(PURGE_WAL_PAGES)}`.execute(db);
  try {
    return await fn();
  } finally {
    await sql`PRAGMA wal_autocheckpoint = ${sql.lit(previous)}`.execute(db);
  }
}

/**
 * Deletes due buyer data in short transactions (one batch each), so readers — on SQLite the one
 * connection is shared — get their turn between batches. Each batch deletes the sealed rows (every
 * ciphertext column) with one statement, clears the orders' presence flags with one, and drops the reveal
 * grants of those orders (their sealed notes) with one per seller account, through their index. The keyset
 * moves past held rows, so a run always ends; a rerun finds nothing left to do. The caller checkpoints
 * afterwards so freed pages leave the file (secure_delete) and the WAL is truncated.
 */
export async function purgeBuyerPii(db: Kysely<DB>, options: PurgeOptions): Promise<BuyerPiiPurge> {
  return withSparseCheckpoints(db, () => purgeBatches(db, options));
}

async function purgeBatches(db: Kysely<DB>, options: PurgeOptions): Promise<BuyerPiiPurge> {
  const result: BuyerPiiPurge = { purged: 0, held: 0, ids: new IdLedger("order_buyer_pii"), stopped: false };
  const now = options.at.toISOString();
  const key = walkKey(db);
  let after = key.start;
  for (;;) {
    if (options.signal?.aborted) {
      result.stopped = true;
      break;
    }
    const page = await dueRows(db, options.at)
      .select([
        key.ref.as("pos"),
        "order_buyer_pii.order_id",
        "order_buyer_pii.account_id",
        "orders.amazon_order_id",
      ])
      .where(key.ref, ">", after)
      .orderBy(key.ref)
      .limit(options.batchSize)
      .execute();
    if (page.length === 0) break;
    after = page[page.length - 1]?.pos ?? after;
    const doomed = page.filter((row) => {
      const held = isHeld(options.holds, row);
      if (held) result.held += 1;
      return !held;
    });
    if (doomed.length === 0) continue;
    const ids = doomed.map((r) => r.order_id);
    const byAccount = new Map<string, string[]>();
    for (const r of doomed) {
      const orders = byAccount.get(r.account_id);
      if (orders) orders.push(r.amazon_order_id);
      else byAccount.set(r.account_id, [r.amazon_order_id]);
    }
    await inTransaction(db, async (trx) => {
      await trx.deleteFrom("order_buyer_pii").where("order_id", "in", ids).execute();
      await trx
        .updateTable("orders")
        .set({ has_buyer_data: 0, has_recipient_data: 0, updated_at: now })
        .where("id", "in", ids)
        .execute();
      for (const [account, orders] of byAccount) {
        await trx
          .deleteFrom("pii_reveal_grants")
          .where("seller_account_id", "=", account)
          .where("order_id", "in", orders)
          .execute();
      }
    });
    for (const id of ids) result.ids.add(id);
    result.purged += ids.length;
    options.onBatch?.(result.purged);
  }
  return result;
}
