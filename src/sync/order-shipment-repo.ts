import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { orderRowId } from "./orders-repo.js";

/**
 * Marks an order shipped after Amazon accepted our shipment confirmation. The order's last-updated time
 * moves to the confirmation (never backwards), so a sync page fetched before the confirmation (older
 * lastUpdatedTime) cannot set it back to UNSHIPPED under the merging rules; Amazon's own later record of
 * the shipment (newer) still wins. Returns whether a row changed.
 */
export async function markOrderShipped(
  db: Kysely<DB>,
  accountId: string,
  amazonOrderId: string,
  at: Date,
): Promise<boolean> {
  const now = at.toISOString();
  const id = orderRowId(accountId, amazonOrderId);
  const row = await db
    .selectFrom("orders")
    .select(["last_updated_at"])
    .where("id", "=", id)
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  if (!row) return false;
  const [done] = await db
    .updateTable("orders")
    .set({
      status: "SHIPPED",
      // ISO strings: the later of the two sorts last.
      last_updated_at: [row.last_updated_at, now].sort()[1] ?? now,
      updated_at: now,
    })
    .where("id", "=", id)
    .where("account_id", "=", accountId)
    .execute();
  return Number(done?.numUpdatedRows ?? 0) === 1;
}
