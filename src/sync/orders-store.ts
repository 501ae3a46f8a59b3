import type { Kysely } from "kysely";
import type { Order } from "../amazon/operations/orders.js";
import type { DB } from "../db/schema.js";
import { normalizeApiOrder } from "./order-api-mapper.js";
import type { NormalizedOrder } from "./order-model.js";
import { inTransaction, upsertOrders } from "./orders-repo.js";
import { addSkipped, type StreamContext } from "./sync-context.js";

/**
 * Stores one batch of orders and, in the same transaction, whatever the caller needs to record with it (a
 * checkpoint): a crash keeps both or neither, so a restart neither loses the batch nor skips past it.
 */
export async function storeOrderBatch(
  ctx: StreamContext,
  orders: readonly NormalizedOrder[],
  alongside?: (trx: Kysely<DB>) => Promise<void>,
): Promise<void> {
  const shippingEnabled = ctx.features.includes("fbm_shipping");
  const r = await inTransaction(ctx.db, async (trx) => {
    const result = await upsertOrders(trx, ctx.fields, ctx.accountId, orders, {
      now: ctx.clock.now(),
      shippingEnabled,
    });
    if (alongside) await alongside(trx);
    return result;
  });
  const c = ctx.counts;
  c.fetched += r.received;
  c.inserted += r.inserted;
  c.updated += r.updated;
  c.unchanged += r.unchanged;
  c.badRows += r.rejected;
  c.items += r.itemsWritten;
  addSkipped(c, "INVALID_RECORD", r.rejected);
  addSkipped(c, "STALE", r.staleIgnored);
  addSkipped(c, "PII_NOT_ALLOWED", r.piiDropped);
}

/** Normalizes a page of Orders API records; those that cannot be read are counted with their reason. */
export function normalizePage(ctx: StreamContext, orders: readonly Order[]): NormalizedOrder[] {
  const out: NormalizedOrder[] = [];
  for (const order of orders) {
    const n = normalizeApiOrder(order);
    if (typeof n === "string") {
      ctx.counts.fetched += 1;
      ctx.counts.badRows += 1;
      addSkipped(ctx.counts, n, 1);
    } else out.push(n);
  }
  return out;
}

/** The Orders datasets a sync asks for: buyer and recipient data only when FBM shipping is enabled. */
export function orderDatasets(ctx: Pick<StreamContext, "features">) {
  const base = ["FULFILLMENT", "PROCEEDS", "PACKAGES"] as const;
  return ctx.features.includes("fbm_shipping")
    ? [...base, "BUYER" as const, "RECIPIENT" as const]
    : [...base];
}
