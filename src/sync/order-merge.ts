import type { Insertable, Selectable } from "kysely";
import type { OrderItemsTable, OrdersTable } from "../db/schema.js";
import {
  isKnownChannel,
  isKnownStatus,
  type NormalizedOrder,
  type NormalizedOrderItem,
  type OrderSource,
  SOURCE_RANK,
} from "./order-model.js";

/**
 * The merging rules: nothing stored is lost or replaced by worse data.
 *  1. Monotonic: an incoming record older (last updated) than the stored one is ignored, whole.
 *  2. Null means "this source does not know": it never replaces a stored value.
 *  3. Newer wins: a newer record's known values replace stored ones.
 *  4. Same version, poorer source: at an equal last-updated time a poorer source (report < api) only fills
 *     values still unknown; it never overrides what the richer source said.
 *  5. Items are never deleted by an update that does not list them; a report line (keyed "r:<sku>")
 *     is replaced by the API item with the same SKU, and a report line for a SKU that already has an
 *     API item only fills that item's unknown values.
 */
export type OrderRow = Selectable<OrdersTable>;
export type OrderItemRow = Selectable<OrderItemsTable>;

export type MergeOutcome =
  | { kind: "insert"; row: Insertable<OrdersTable> & OrderRow }
  | { kind: "update"; row: OrderRow }
  | { kind: "unchanged"; row: OrderRow }
  | { kind: "stale"; row: OrderRow };

/** Columns an incoming record may set, with the record's value for each. */
function incomingValues(o: NormalizedOrder): Partial<Record<keyof OrderRow, string | number | null>> {
  const flag = (b: boolean | null) => (b === null ? null : b ? 1 : 0);
  return {
    marketplace: o.marketplace,
    status: o.status,
    fulfillment_channel: o.fulfillmentChannel,
    purchase_date: o.purchaseDate,
    latest_ship_date: o.latestShipDate,
    latest_delivery_date: o.latestDeliveryDate,
    delivered_at: o.deliveredAt,
    total_minor: o.totalMinor,
    currency: o.currency,
    item_count: o.itemCount,
    unit_count: o.unitCount,
    ship_service_level: o.shipServiceLevel,
    ship_country: o.shipCountry,
    is_business: flag(o.isBusiness),
    is_prime: flag(o.isPrime),
  };
}

function unknownFlag(status: string, channel: string): number {
  return isKnownStatus(status) && isKnownChannel(channel) ? 0 : 1;
}

const rankOf = (source: string) => SOURCE_RANK[source as OrderSource] ?? 0;

export function mergeOrder(
  existing: OrderRow | undefined,
  incoming: NormalizedOrder,
  ctx: { id: string; accountId: string; now: string; shippingEnabled: boolean },
): MergeOutcome {
  const values = incomingValues(incoming);
  const shipping = ctx.shippingEnabled && incoming.fulfillmentChannel === "FBM" ? 1 : 0;
  if (!existing) {
    const row: OrderRow = {
      id: ctx.id,
      account_id: ctx.accountId,
      amazon_order_id: incoming.amazonOrderId,
      marketplace: null,
      status: incoming.status,
      fulfillment_channel: incoming.fulfillmentChannel,
      purchase_date: incoming.purchaseDate,
      last_updated_at: incoming.lastUpdatedAt,
      latest_ship_date: null,
      latest_delivery_date: null,
      delivered_at: null,
      total_minor: null,
      currency: null,
      item_count: null,
      unit_count: null,
      ship_service_level: null,
      ship_country: null,
      is_business: null,
      is_prime: null,
      shipping_enabled: shipping,
      has_buyer_data: 0,
      has_recipient_data: 0,
      source: incoming.source,
      unknown_enum: unknownFlag(incoming.status, incoming.fulfillmentChannel),
      created_at: ctx.now,
      updated_at: ctx.now,
    };
    Object.assign(row, values);
    return { kind: "insert", row };
  }
  if (incoming.lastUpdatedAt < existing.last_updated_at) return { kind: "stale", row: existing };

  const newer = incoming.lastUpdatedAt > existing.last_updated_at;
  const incomingLeads = newer || rankOf(incoming.source) >= rankOf(existing.source);
  const merged: OrderRow = { ...existing };
  let changed = false;
  for (const [column, value] of Object.entries(values) as Array<[keyof OrderRow, string | number | null]>) {
    if (value === null) continue;
    const current = existing[column];
    const next = incomingLeads || current === null ? value : current;
    if (next !== current) {
      (merged as Record<string, unknown>)[column] = next;
      changed = true;
    }
  }
  const updates: Partial<OrderRow> = {
    last_updated_at: incoming.lastUpdatedAt,
    source: rankOf(incoming.source) > rankOf(existing.source) ? incoming.source : existing.source,
    shipping_enabled: Math.max(existing.shipping_enabled, shipping),
  };
  for (const [column, value] of Object.entries(updates) as Array<[keyof OrderRow, string | number]>) {
    if (merged[column] !== value) {
      (merged as Record<string, unknown>)[column] = value;
      changed = true;
    }
  }
  merged.unknown_enum = unknownFlag(merged.status, merged.fulfillment_channel);
  if (merged.unknown_enum !== existing.unknown_enum) changed = true;
  if (!changed) return { kind: "unchanged", row: existing };
  merged.updated_at = ctx.now;
  return { kind: "update", row: merged };
}

export interface ItemMerge {
  upserts: OrderItemRow[];
  /** Report-keyed items an API item replaced. */
  deletes: string[];
}

const ITEM_VALUES = [
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
] as const satisfies ReadonlyArray<keyof OrderItemRow>;

function itemValues(item: NormalizedOrderItem): Pick<OrderItemRow, (typeof ITEM_VALUES)[number]> {
  return {
    order_item_id: item.orderItemId,
    sku: item.sku,
    asin: item.asin,
    title: item.title,
    quantity: item.quantity,
    currency: item.currency,
    item_price_minor: item.itemPriceMinor,
    item_tax_minor: item.itemTaxMinor,
    shipping_price_minor: item.shippingPriceMinor,
    promotion_discount_minor: item.promotionDiscountMinor,
  };
}

/** Merges one applied (not stale) order's incoming items into its stored ones. */
export function mergeItems(
  existing: readonly OrderItemRow[],
  incoming: readonly NormalizedOrderItem[],
  ctx: { orderId: string; accountId: string; now: string; newer: boolean },
): ItemMerge {
  const byKey = new Map(existing.map((i) => [i.item_key, i]));
  const upserts = new Map<string, OrderItemRow>();
  const deletes: string[] = [];
  for (const item of incoming) {
    const values = itemValues(item);
    let key = item.itemKey;
    let base = upserts.get(key) ?? byKey.get(key);
    let fillOnly = false;
    let replaced = false;
    if (item.orderItemId === null) {
      // A report line for a SKU the API already described: the API item is the richer record.
      const api = [...byKey.values()].find(
        (e) => e.order_item_id !== null && e.sku !== null && e.sku === item.sku,
      );
      if (api) {
        key = api.item_key;
        base = upserts.get(key) ?? api;
        fillOnly = !ctx.newer;
      }
    } else if (!base) {
      const report = [...byKey.values()].find(
        (e) => e.order_item_id === null && e.sku !== null && e.sku === item.sku,
      );
      if (report && !upserts.has(report.item_key)) {
        base = { ...report, item_key: key };
        deletes.push(report.item_key);
        byKey.delete(report.item_key);
        replaced = true;
      }
    }
    const row: OrderItemRow = base
      ? { ...base, item_key: key }
      : {
          order_id: ctx.orderId,
          item_key: key,
          account_id: ctx.accountId,
          ...values,
          created_at: ctx.now,
          updated_at: ctx.now,
        };
    let changed = !base || replaced;
    if (base) {
      for (const column of ITEM_VALUES) {
        const value = values[column];
        if (value === null) continue;
        const current = base[column];
        const next = fillOnly && current !== null ? current : value;
        if (next !== current) {
          (row as Record<string, unknown>)[column] = next;
          changed = true;
        }
      }
    }
    if (changed || upserts.has(key)) {
      row.updated_at = ctx.now;
      upserts.set(key, row);
    }
  }
  return { upserts: [...upserts.values()], deletes };
}
