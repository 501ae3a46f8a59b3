import { createHash, type Hash } from "node:crypto";
import type { ExpressionBuilder, Kysely } from "kysely";
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

export async function countBuyerPii(db: Kysely<DB>, at: Date, holds: Holds): Promise<BuyerPiiCounts> {
  const { n } = await db
    .selectFrom("order_buyer_pii")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  let due = 0;
  let held = 0;
  let after = "";
  // Paged like the purge so a million due rows never sit in memory at once.
  for (;;) {
    const page = await dueRows(db, at)
      .select(["order_buyer_pii.order_id", "order_buyer_pii.account_id"])
      .where("order_buyer_pii.order_id", ">", after)
      .orderBy("order_buyer_pii.order_id")
      .limit(5000)
      .execute();
    if (page.length === 0) break;
    for (const row of page) {
      due += 1;
      if (isHeld(holds, row)) held += 1;
    }
    after = page[page.length - 1]?.order_id ?? after;
  }
  return { records: Number(n), overdue: due - held, held };
}

export interface BuyerPiiPurge {
  purged: number;
  held: number;
  ids: IdLedger;
}

/**
 * Deletes due buyer data in small transactions (one batch each), so readers — on SQLite the one
 * connection is shared — get their turn between batches. Each batch deletes the sealed row (every
 * ciphertext column), clears the order's presence flags, and drops the reveal grants for those orders
 * (their sealed notes). Keyset paging on the order id moves past held rows, so a run always ends; a rerun
 * finds nothing left to do. The caller checkpoints afterwards so freed pages leave the file (secure_delete).
 */
export async function purgeBuyerPii(
  db: Kysely<DB>,
  options: { at: Date; holds: Holds; batchSize: number; onBatch?: (purged: number) => void },
): Promise<BuyerPiiPurge> {
  const result: BuyerPiiPurge = { purged: 0, held: 0, ids: new IdLedger("order_buyer_pii") };
  const now = options.at.toISOString();
  let after = "";
  for (;;) {
    const page = await dueRows(db, options.at)
      .select(["order_buyer_pii.order_id", "order_buyer_pii.account_id", "orders.amazon_order_id"])
      .where("order_buyer_pii.order_id", ">", after)
      .orderBy("order_buyer_pii.order_id")
      .limit(options.batchSize)
      .execute();
    if (page.length === 0) break;
    after = page[page.length - 1]?.order_id ?? after;
    const doomed = page.filter((row) => {
      const held = isHeld(options.holds, row);
      if (held) result.held += 1;
      return !held;
    });
    if (doomed.length === 0) continue;
    const ids = doomed.map((r) => r.order_id);
    await inTransaction(db, async (trx) => {
      await trx.deleteFrom("order_buyer_pii").where("order_id", "in", ids).execute();
      await trx
        .updateTable("orders")
        .set({ has_buyer_data: 0, has_recipient_data: 0, updated_at: now })
        .where("id", "in", ids)
        .execute();
      const byAccount = new Map<string, string[]>();
      for (const r of doomed)
        byAccount.set(r.account_id, [...(byAccount.get(r.account_id) ?? []), r.amazon_order_id]);
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
