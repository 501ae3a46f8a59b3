import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { inTransaction } from "./orders-repo.js";

export interface BuyerPiiPurgeResult {
  purged: number;
  /** Rows due but kept because their account is under a legal hold. */
  held: number;
}

/**
 * Deletes FBM buyer data whose retention ended (purge_after, 30 days after delivery), in batches, and
 * clears the orders' presence flags with it. Accounts under a legal hold keep theirs. For the retention
 * job; the orders themselves (non-PII) stay.
 */
export async function purgeExpiredBuyerPii(
  db: Kysely<DB>,
  options: { now: Date; heldAccountIds?: readonly string[]; batchSize?: number },
): Promise<BuyerPiiPurgeResult> {
  const now = options.now.toISOString();
  const held = [...(options.heldAccountIds ?? [])];
  const batchSize = options.batchSize ?? 500;
  const result: BuyerPiiPurgeResult = { purged: 0, held: 0 };
  for (;;) {
    let due = db
      .selectFrom("order_buyer_pii")
      .select("order_id")
      .where("purge_after", "is not", null)
      .where("purge_after", "<=", now);
    if (held.length > 0) due = due.where("account_id", "not in", held);
    const ids = (await due.orderBy("order_id").limit(batchSize).execute()).map((r) => r.order_id);
    if (ids.length === 0) break;
    await inTransaction(db, async (trx) => {
      await trx.deleteFrom("order_buyer_pii").where("order_id", "in", ids).execute();
      await trx
        .updateTable("orders")
        .set({ has_buyer_data: 0, has_recipient_data: 0, updated_at: now })
        .where("id", "in", ids)
        .execute();
    });
    result.purged += ids.length;
  }
  if (held.length > 0) {
    const { n } = await db
      .selectFrom("order_buyer_pii")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("purge_after", "<=", now)
      .where("account_id", "in", held)
      .executeTakeFirstOrThrow();
    result.held = Number(n);
  }
  return result;
}
