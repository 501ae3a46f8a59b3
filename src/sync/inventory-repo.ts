import type { Kysely, Selectable } from "kysely";
import { z } from "zod";
import type { DB, InventorySummariesTable } from "../db/schema.js";
import { bound, LIMITS } from "./order-model.js";
import { inTransaction } from "./orders-repo.js";

export const inventorySummarySchema = z.object({
  marketplace: z.string().min(1).max(LIMITS.marketplace),
  sku: z.string().min(1).max(LIMITS.sku),
  asin: z.string().min(1).max(LIMITS.asin).nullable(),
  fnSku: z.string().min(1).max(40).nullable(),
  productName: z.string().nullable(),
  condition: z.string().min(1).max(40).nullable(),
  fulfillable: z.number().int().min(0),
  inbound: z.number().int().min(0),
  reserved: z.number().int().min(0),
  unfulfillable: z.number().int().min(0),
  total: z.number().int().min(0),
  /** Amazon's lastUpdatedTime of the summary. */
  lastUpdatedAt: z.iso.datetime({ offset: false, precision: 3 }),
});
export type InventorySummary = z.infer<typeof inventorySummarySchema>;
export type InventoryRow = Selectable<InventorySummariesTable>;

export interface InventoryUpsertResult {
  received: number;
  rejected: number;
  written: number;
  /** Older than the stored summary of the same SKU: ignored. */
  staleIgnored: number;
}

/** Stores FBA inventory summaries; a summary older than the stored one for its SKU never replaces it. */
export async function upsertInventorySummaries(
  db: Kysely<DB>,
  accountId: string,
  summaries: readonly InventorySummary[],
  options: { now: Date },
): Promise<InventoryUpsertResult> {
  const result: InventoryUpsertResult = {
    received: summaries.length,
    rejected: 0,
    written: 0,
    staleIgnored: 0,
  };
  const valid = summaries.filter((s) => inventorySummarySchema.safeParse(s).success);
  result.rejected = summaries.length - valid.length;
  if (valid.length === 0) return result;
  const now = options.now.toISOString();
  return inTransaction(db, async (trx) => {
    const stored = new Map<string, string>();
    for (let i = 0; i < valid.length; i += 400) {
      const part = valid.slice(i, i + 400);
      const rows = await trx
        .selectFrom("inventory_summaries")
        .select(["marketplace", "sku", "last_updated_at"])
        .where("account_id", "=", accountId)
        .where("sku", "in", [...new Set(part.map((s) => s.sku))])
        .execute();
      for (const r of rows) stored.set(`${r.marketplace}\n${r.sku}`, r.last_updated_at);
    }
    const writes = new Map<string, InventoryRow>();
    for (const s of valid) {
      const key = `${s.marketplace}\n${s.sku}`;
      const current = writes.get(key)?.last_updated_at ?? stored.get(key);
      if (current !== undefined && s.lastUpdatedAt < current) {
        result.staleIgnored += 1;
        continue;
      }
      writes.set(key, {
        account_id: accountId,
        marketplace: s.marketplace,
        sku: s.sku,
        asin: s.asin,
        fn_sku: s.fnSku,
        product_name: s.productName === null ? null : bound(s.productName, LIMITS.title),
        condition: s.condition,
        fulfillable_quantity: s.fulfillable,
        inbound_quantity: s.inbound,
        reserved_quantity: s.reserved,
        unfulfillable_quantity: s.unfulfillable,
        total_quantity: s.total,
        last_updated_at: s.lastUpdatedAt,
        synced_at: now,
      });
    }
    const rows = [...writes.values()];
    for (let i = 0; i < rows.length; i += 400) {
      await trx
        .insertInto("inventory_summaries")
        .values(rows.slice(i, i + 400))
        .onConflict((oc) =>
          oc
            .columns(["account_id", "marketplace", "sku"])
            .doUpdateSet((eb) => ({
              asin: eb.fn.coalesce(eb.ref("excluded.asin"), eb.ref("inventory_summaries.asin")),
              fn_sku: eb.fn.coalesce(eb.ref("excluded.fn_sku"), eb.ref("inventory_summaries.fn_sku")),
              product_name: eb.fn.coalesce(
                eb.ref("excluded.product_name"),
                eb.ref("inventory_summaries.product_name"),
              ),
              condition: eb.fn.coalesce(
                eb.ref("excluded.condition"),
                eb.ref("inventory_summaries.condition"),
              ),
              fulfillable_quantity: eb.ref("excluded.fulfillable_quantity"),
              inbound_quantity: eb.ref("excluded.inbound_quantity"),
              reserved_quantity: eb.ref("excluded.reserved_quantity"),
              unfulfillable_quantity: eb.ref("excluded.unfulfillable_quantity"),
              total_quantity: eb.ref("excluded.total_quantity"),
              last_updated_at: eb.ref("excluded.last_updated_at"),
              synced_at: eb.ref("excluded.synced_at"),
            }))
            .where((eb) =>
              eb("inventory_summaries.last_updated_at", "<=", eb.ref("excluded.last_updated_at")),
            ),
        )
        .execute();
    }
    result.written = rows.length;
    return result;
  });
}

/** SKUs by ascending fulfillable quantity; with `below`, only those under it (low stock). */
export async function listInventory(
  db: Kysely<DB>,
  accountId: string,
  options: { below?: number; limit: number },
): Promise<InventoryRow[]> {
  let query = db.selectFrom("inventory_summaries").selectAll().where("account_id", "=", accountId);
  if (options.below !== undefined) query = query.where("fulfillable_quantity", "<", options.below);
  return query
    .orderBy("fulfillable_quantity")
    .orderBy("sku")
    .limit(Math.max(1, Math.min(500, options.limit)))
    .execute();
}
