import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import type { FieldCipher } from "../crypto/field-cipher.js";
import type { DB, OrderBuyerPiiTable } from "../db/schema.js";
import { MS } from "../platform/clock.js";
import { mergeItems, mergeOrder, type OrderItemRow, type OrderRow } from "./order-merge.js";
import { type NormalizedOrder, normalizedOrderSchema, type OrderPii, PII_FIELDS } from "./order-model.js";

/** Buyer PII is deleted this long after delivery (DPP), unless a legal hold keeps it. */
export const PII_RETENTION_MS = 30 * MS.day;

export interface UpsertOrdersOptions {
  now: Date;
  /** FBM order processing is enabled for the account: only then may buyer and recipient data be stored. */
  shippingEnabled: boolean;
}

export interface OrderUpsertResult {
  received: number;
  /** Records that failed the model's validation; not stored. */
  rejected: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Older than what is stored (out-of-order delivery, overlapping windows): ignored whole. */
  staleIgnored: number;
  /** Stored orders whose status or channel holds a value this version does not know. */
  unknownEnums: number;
  itemsWritten: number;
  /** Report lines replaced by the API item for the same SKU. */
  itemsReplaced: number;
  piiWritten: number;
  /** Buyer data present but not stored: FBA order, FBM processing not enabled, or retention over. */
  piiDropped: number;
}

/** The row id of an order: the same (account, order) always yields it, so concurrent inserts agree. */
export function orderRowId(accountId: string, amazonOrderId: string): string {
  return createHash("sha256").update(`${accountId}\n${amazonOrderId}`).digest("base64url").slice(0, 32);
}

export type PiiColumn = Exclude<
  keyof OrderBuyerPiiTable,
  "order_id" | "account_id" | "delivered_at" | "purge_after" | "created_at" | "updated_at"
>;

export const PII_COLUMNS: Readonly<Record<keyof OrderPii, PiiColumn>> = {
  buyerName: "buyer_name",
  shipName: "ship_name",
  addressLine1: "address_line1",
  addressLine2: "address_line2",
  addressLine3: "address_line3",
  city: "city",
  stateOrRegion: "state_or_region",
  postalCode: "postal_code",
  countryCode: "country_code",
  phone: "phone",
};

export const piiRef = (accountId: string, orderId: string, column: PiiColumn) => ({
  accountId,
  table: "order_buyer_pii",
  column,
  rowId: orderId,
});

const CHUNK = 400;
function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs fn in a transaction, or in the caller's when db already is one. */
export async function inTransaction<T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

/** When buyer data of this order may be purged: 30 days after delivery (or cancellation). */
export function purgeAfter(order: OrderRow): string | null {
  const delivered =
    order.delivered_at ??
    order.latest_delivery_date ??
    (order.status === "CANCELLED" ? order.last_updated_at : null);
  return delivered === null ? null : new Date(Date.parse(delivered) + PII_RETENTION_MS).toISOString();
}

const ORDER_UPDATE_COLUMNS = [
  "marketplace",
  "status",
  "fulfillment_channel",
  "purchase_date",
  "last_updated_at",
  "latest_ship_date",
  "latest_delivery_date",
  "delivered_at",
  "total_minor",
  "currency",
  "item_count",
  "unit_count",
  "ship_service_level",
  "ship_country",
  "is_business",
  "is_prime",
  "shipping_enabled",
  "has_buyer_data",
  "has_recipient_data",
  "source",
  "unknown_enum",
  "updated_at",
] as const satisfies ReadonlyArray<keyof OrderRow>;

const ITEM_UPDATE_COLUMNS = [
  "order_item_id",
  "sku",
  "asin",
  "title",
  "quantity",
  "currency",
  "item_price_minor",
  "item_tax_minor",
  "shipping_price_minor",
  "promotion_discount_minor",
  "updated_at",
] as const satisfies ReadonlyArray<keyof OrderItemRow>;

/**
 * Stores a batch of orders (with their items and, for FBM orders when allowed, their sealed buyer data) in
 * one transaction, following the merging rules of order-merge.ts. Idempotent: the same batch twice leaves
 * the same rows. Never throws for bad records: they are counted.
 */
export async function upsertOrders(
  db: Kysely<DB>,
  fields: Pick<FieldCipher, "seal" | "open">,
  accountId: string,
  orders: readonly NormalizedOrder[],
  options: UpsertOrdersOptions,
): Promise<OrderUpsertResult> {
  const now = options.now.toISOString();
  const result: OrderUpsertResult = {
    received: orders.length,
    rejected: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    staleIgnored: 0,
    unknownEnums: 0,
    itemsWritten: 0,
    itemsReplaced: 0,
    piiWritten: 0,
    piiDropped: 0,
  };
  const valid: NormalizedOrder[] = [];
  for (const order of orders) {
    if (normalizedOrderSchema.safeParse(order).success) valid.push(order);
    else result.rejected += 1;
  }
  if (valid.length === 0) return result;
  const ids = [...new Set(valid.map((o) => orderRowId(accountId, o.amazonOrderId)))];

  return inTransaction(db, async (trx) => {
    const state = new Map<string, OrderRow>();
    const items = new Map<string, OrderItemRow[]>();
    const pii = new Map<string, OrderBuyerPiiTable>();
    for (const part of chunks(ids)) {
      for (const row of await trx.selectFrom("orders").selectAll().where("id", "in", part).execute()) {
        state.set(row.id, row);
      }
      for (const row of await trx
        .selectFrom("order_items")
        .selectAll()
        .where("order_id", "in", part)
        .execute()) {
        const list = items.get(row.order_id) ?? [];
        list.push(row);
        items.set(row.order_id, list);
      }
      for (const row of await trx
        .selectFrom("order_buyer_pii")
        .selectAll()
        .where("order_id", "in", part)
        .execute()) {
        pii.set(row.order_id, row);
      }
    }

    const dirtyOrders = new Map<string, OrderRow>();
    const inserted = new Set<string>();
    const itemWrites = new Map<string, OrderItemRow>();
    const itemDeletes: Array<{ orderId: string; key: string }> = [];
    const piiWrites = new Map<string, OrderBuyerPiiTable>();

    for (const order of valid) {
      const id = orderRowId(accountId, order.amazonOrderId);
      const existing = state.get(id);
      const outcome = mergeOrder(existing, order, {
        id,
        accountId,
        now,
        shippingEnabled: options.shippingEnabled,
      });
      if (outcome.kind === "stale") {
        result.staleIgnored += 1;
        continue;
      }
      let row = outcome.row;
      if (outcome.kind === "insert") inserted.add(id);
      if (outcome.kind !== "unchanged") dirtyOrders.set(id, row);

      if (order.items !== null && order.items.length > 0) {
        const merged = mergeItems(items.get(id) ?? [], order.items, {
          orderId: id,
          accountId,
          now,
          newer: existing === undefined || order.lastUpdatedAt > existing.last_updated_at,
        });
        const kept = (items.get(id) ?? []).filter((i) => !merged.deletes.includes(i.item_key));
        for (const write of merged.upserts) {
          itemWrites.set(`${id}\n${write.item_key}`, write);
          const at = kept.findIndex((i) => i.item_key === write.item_key);
          if (at >= 0) kept[at] = write;
          else kept.push(write);
        }
        for (const key of merged.deletes) itemDeletes.push({ orderId: id, key });
        items.set(id, kept);
      }

      const stored = pii.get(id);
      const incomingPii = order.pii;
      const purge = purgeAfter(row);
      // Past its retention, buyer data is not taken in again (a late update must not undo a purge).
      const allowed =
        options.shippingEnabled && row.fulfillment_channel === "FBM" && (purge === null || purge > now);
      if (incomingPii && !allowed) result.piiDropped += 1;
      const fresh = allowed && incomingPii ? await sealNew(fields, accountId, id, incomingPii, stored) : {};
      if (Object.keys(fresh).length > 0) result.piiWritten += 1;
      if (
        Object.keys(fresh).length > 0 ||
        (stored && (stored.delivered_at !== row.delivered_at || stored.purge_after !== purge))
      ) {
        const next: OrderBuyerPiiTable = {
          ...(stored ?? emptyPii(id, accountId, now)),
          ...fresh,
          delivered_at: row.delivered_at,
          purge_after: purge,
          updated_at: now,
        };
        pii.set(id, next);
        piiWrites.set(id, next);
        const hasBuyer = next.buyer_name !== null ? 1 : 0;
        const hasRecipient = PII_FIELDS.some((f) => f !== "buyerName" && next[PII_COLUMNS[f]] !== null)
          ? 1
          : 0;
        if (hasBuyer !== row.has_buyer_data || hasRecipient !== row.has_recipient_data) {
          row = { ...row, has_buyer_data: hasBuyer, has_recipient_data: hasRecipient, updated_at: now };
          dirtyOrders.set(id, row);
        }
      }
      state.set(id, row);
    }

    // Rows are written in key order, so two workers writing overlapping batches lock rows in the same order
    // and wait for each other instead of deadlocking (PostgreSQL).
    const byKey = <T>(rows: Map<string, T>) =>
      [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
    const orderRows = byKey(dirtyOrders);
    for (const part of chunks(orderRows)) {
      await trx
        .insertInto("orders")
        .values(part)
        .onConflict((oc) =>
          oc
            .column("id")
            .doUpdateSet((eb) =>
              Object.fromEntries(ORDER_UPDATE_COLUMNS.map((c) => [c, eb.ref(`excluded.${c}`)])),
            )
            // A concurrent writer may have stored a newer version since this batch read the row.
            .where((eb) => eb("orders.last_updated_at", "<=", eb.ref("excluded.last_updated_at"))),
        )
        .execute();
    }
    for (const { orderId, key } of itemDeletes) {
      await trx
        .deleteFrom("order_items")
        .where("order_id", "=", orderId)
        .where("item_key", "=", key)
        .execute();
    }
    for (const part of chunks(byKey(itemWrites))) {
      await trx
        .insertInto("order_items")
        .values(part)
        .onConflict((oc) =>
          oc
            .columns(["order_id", "item_key"])
            .doUpdateSet((eb) =>
              Object.fromEntries(ITEM_UPDATE_COLUMNS.map((c) => [c, eb.ref(`excluded.${c}`)])),
            ),
        )
        .execute();
    }
    for (const part of chunks(byKey(piiWrites))) {
      const columns = [...Object.values(PII_COLUMNS), "delivered_at", "purge_after", "updated_at"] as const;
      await trx
        .insertInto("order_buyer_pii")
        .values(part)
        .onConflict((oc) =>
          oc
            .column("order_id")
            .doUpdateSet((eb) => Object.fromEntries(columns.map((c) => [c, eb.ref(`excluded.${c}`)]))),
        )
        .execute();
    }

    for (const row of orderRows) {
      if (inserted.has(row.id)) result.inserted += 1;
      else result.updated += 1;
    }
    result.unchanged = valid.length - result.staleIgnored - orderRows.length;
    result.unknownEnums = [...dirtyOrders.values()].filter((r) => r.unknown_enum === 1).length;
    result.itemsWritten = itemWrites.size;
    result.itemsReplaced = itemDeletes.length;
    return result;
  });
}

function emptyPii(orderId: string, accountId: string, now: string): OrderBuyerPiiTable {
  return {
    order_id: orderId,
    account_id: accountId,
    buyer_name: null,
    ship_name: null,
    address_line1: null,
    address_line2: null,
    address_line3: null,
    city: null,
    state_or_region: null,
    postal_code: null,
    country_code: null,
    phone: null,
    delivered_at: null,
    purge_after: null,
    created_at: now,
    updated_at: now,
  };
}

/**
 * Seals the incoming values that are known and differ from what is stored: a stored value is never replaced
 * by an unknown one, and an unchanged one is not re-sealed (which would only churn ciphertext).
 */
async function sealNew(
  fields: Pick<FieldCipher, "seal" | "open">,
  accountId: string,
  orderId: string,
  incoming: OrderPii,
  stored: OrderBuyerPiiTable | undefined,
): Promise<Partial<OrderBuyerPiiTable>> {
  const out: Partial<Record<PiiColumn, string>> = {};
  for (const field of PII_FIELDS) {
    const value = incoming[field];
    if (value === null || value === "") continue;
    const column = PII_COLUMNS[field];
    const ref = piiRef(accountId, orderId, column);
    const current = stored?.[column] ?? null;
    if (current !== null && (await fields.open(ref, current)) === value) continue;
    out[column] = await fields.seal(ref, value);
  }
  return out;
}
