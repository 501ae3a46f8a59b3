import type { Kysely } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { FieldCipher } from "../crypto/field-cipher.js";
import type { DB } from "../db/schema.js";
import { type Clock, MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { UNDELIVERED_PII_DAYS } from "../retention/retention-policy.js";
import type { OrderItemRow, OrderRow } from "../sync/order-merge.js";
import type { OrderPii } from "../sync/order-model.js";
import { markOrderShipped } from "../sync/order-shipment-repo.js";
import { getOrder, listOrders, type OrderFilter, readOrderPii } from "../sync/orders-query-repo.js";
import { purgeAfter } from "../sync/orders-repo.js";
import { type AccessGrant, type Actor, type Authorizer, actorLabel } from "./authorize.js";
import type { PiiReveal, RevealGrant, RevealRequest } from "./pii-reveal.js";

/**
 * The one door to orders (rule 1): every read authorizes the actor for the account, writes its audit entry,
 * then calls the repository. Buyer data leaves only through a live, purpose-bound reveal of that order.
 */
export interface OrderSummary {
  amazonOrderId: string;
  status: string;
  fulfillmentChannel: string;
  marketplace: string | null;
  purchaseDate: string;
  lastUpdatedAt: string;
  latestShipDate: string | null;
  latestDeliveryDate: string | null;
  deliveredAt: string | null;
  totalMinor: number | null;
  currency: string | null;
  itemCount: number | null;
  unitCount: number | null;
  shipServiceLevel: string | null;
  shipCountry: string | null;
  isPrime: boolean | null;
  isBusiness: boolean | null;
  /** Whether sealed buyer or recipient data is stored (what a reveal would show); never the data itself. */
  hasBuyerData: boolean;
  /** When the retention policy deletes that buyer data (null when none is stored). */
  buyerDataDeletedAfter: string | null;
}

export interface OrderItemView {
  itemKey: string;
  orderItemId: string | null;
  sku: string | null;
  asin: string | null;
  title: string | null;
  quantity: number;
  currency: string | null;
  itemPriceMinor: number | null;
  itemTaxMinor: number | null;
  shippingPriceMinor: number | null;
  promotionDiscountMinor: number | null;
}

export interface OrderDetail {
  order: OrderSummary;
  items: OrderItemView[];
  /** Null unless the actor holds a live reveal of this order (masked otherwise). */
  buyer: OrderPii | null;
  reveal: Pick<RevealGrant, "purpose" | "expiresAt"> | null;
}

export interface Shipment {
  carrier: string;
  trackingNumber: string;
  shipDate: string;
}

/** What Amazon's shipment confirmation needs, read from the stored order. */
export interface ShipmentPlan extends Shipment {
  amazonOrderId: string;
  marketplaceId: string;
  items: Array<{ orderItemId: string; quantity: number }>;
}

export interface OrderReads {
  listOrders(
    db: Kysely<DB>,
    actor: Actor,
    accountId: string,
    filter: OrderFilter,
    page: { limit: number; cursor?: string | null },
  ): Promise<{ orders: OrderSummary[]; nextCursor: string | null }>;
  /** Unshipped FBM orders, the fulfillment team's work list (orders:ship). */
  fbmQueue(
    db: Kysely<DB>,
    actor: Actor,
    accountId: string,
    page: { limit: number; cursor?: string | null },
  ): Promise<{ orders: OrderSummary[]; nextCursor: string | null }>;
  getOrder(db: Kysely<DB>, actor: Actor, accountId: string, orderId: string): Promise<OrderDetail>;
  /** Grants a time-boxed reveal (purpose required) and returns the order with its buyer data. */
  reveal(db: Kysely<DB>, actor: Actor, request: RevealRequest): Promise<OrderDetail>;
  /** The packing slip: needs a live reveal (REVEAL_PURPOSE_REQUIRED / REVEAL_EXPIRED otherwise). */
  packingSlip(db: Kysely<DB>, actor: Actor, accountId: string, orderId: string): Promise<OrderDetail>;
  /**
   * Confirms a shipment: checks the order can ship, lets `confirm` tell Amazon (the caller owns the SP-API
   * client), and only after Amazon accepted marks the order shipped. Audited either way.
   */
  ship(
    db: Kysely<DB>,
    actor: Actor,
    accountId: string,
    orderId: string,
    shipment: Shipment,
    confirm: (plan: ShipmentPlan) => Promise<void>,
  ): Promise<OrderDetail>;
}

export interface OrderReadsDeps {
  authorizer: Pick<Authorizer, "authorize">;
  reveals: Pick<PiiReveal, "grant" | "checkReveal" | "liveReveal">;
  fields: Pick<FieldCipher, "open">;
  audit: AuditSink;
  clock: Clock;
}

const ORDER_ID = /^[A-Za-z0-9-]{1,64}$/;
// Amazon marketplace ids (ATVPDKIKX0DER); report rows may carry a channel name instead, which cannot ship.
const MARKETPLACE_ID = /^[A-Z0-9]{8,20}$/;
const SHIPPABLE = new Set(["UNSHIPPED", "PARTIALLY_SHIPPED"]);

const flag = (v: number | null) => (v === null ? null : v === 1);

/** The retention policy's date for this order's buyer data, as the purge computes it (buyer-pii-purge dueAt). */
function buyerDataDeletedAfter(row: OrderRow): string {
  const afterDelivery = purgeAfter(row);
  if (afterDelivery !== null) return afterDelivery;
  const shipped = Date.parse(row.latest_ship_date ?? row.purchase_date);
  return new Date(shipped + UNDELIVERED_PII_DAYS * MS.day).toISOString();
}

export function orderSummary(row: OrderRow): OrderSummary {
  const hasBuyerData = row.has_buyer_data === 1 || row.has_recipient_data === 1;
  return {
    amazonOrderId: row.amazon_order_id,
    status: row.status,
    fulfillmentChannel: row.fulfillment_channel,
    marketplace: row.marketplace,
    purchaseDate: row.purchase_date,
    lastUpdatedAt: row.last_updated_at,
    latestShipDate: row.latest_ship_date,
    latestDeliveryDate: row.latest_delivery_date,
    deliveredAt: row.delivered_at,
    totalMinor: row.total_minor === null ? null : Number(row.total_minor),
    currency: row.currency,
    itemCount: row.item_count === null ? null : Number(row.item_count),
    unitCount: row.unit_count === null ? null : Number(row.unit_count),
    shipServiceLevel: row.ship_service_level,
    shipCountry: row.ship_country,
    isPrime: flag(row.is_prime),
    isBusiness: flag(row.is_business),
    hasBuyerData,
    buyerDataDeletedAfter: hasBuyerData ? buyerDataDeletedAfter(row) : null,
  };
}

function itemView(row: OrderItemRow): OrderItemView {
  const n = (v: number | null) => (v === null ? null : Number(v));
  return {
    itemKey: row.item_key,
    orderItemId: row.order_item_id,
    sku: row.sku,
    asin: row.asin,
    title: row.title,
    quantity: Number(row.quantity),
    currency: row.currency,
    itemPriceMinor: n(row.item_price_minor),
    itemTaxMinor: n(row.item_tax_minor),
    shippingPriceMinor: n(row.shipping_price_minor),
    promotionDiscountMinor: n(row.promotion_discount_minor),
  };
}

export function createOrderReads(deps: OrderReadsDeps): OrderReads {
  const { authorizer, reveals, fields, audit, clock } = deps;

  const read = (actor: Actor, access: AccessGrant, target: Record<string, string>, action = "orders.read") =>
    audit.record({
      action,
      actor: actorLabel(actor),
      outcome: "success",
      target: { account: access.accountId, ...target },
    });

  async function load(db: Kysely<DB>, accountId: string, orderId: string) {
    const found = ORDER_ID.test(orderId) ? await getOrder(db, accountId, orderId) : null;
    if (!found) throw new AppError("ORDER_NOT_FOUND");
    return found;
  }

  async function openBuyer(
    db: Kysely<DB>,
    actor: Actor,
    access: AccessGrant,
    row: OrderRow,
    grant: RevealGrant,
  ): Promise<OrderPii | null> {
    const pii = await readOrderPii(db, fields, access.accountId, row.amazon_order_id);
    await read(
      actor,
      access,
      { order: row.amazon_order_id, purpose: grant.purpose, grant: grant.id },
      "pii.read",
    );
    return pii;
  }

  async function page(
    db: Kysely<DB>,
    actor: Actor,
    accountId: string,
    permission: "orders:read" | "orders:ship",
    filter: OrderFilter,
    p: { limit: number; cursor?: string | null },
    scope: string,
  ) {
    const access = await authorizer.authorize(db, actor, permission, accountId);
    const result = await listOrders(db, access.accountId, filter, p);
    await read(actor, access, { scope, count: String(result.orders.length) });
    return { orders: result.orders.map(orderSummary), nextCursor: result.nextCursor };
  }

  return {
    listOrders: (db, actor, accountId, filter, p) =>
      page(db, actor, accountId, "orders:read", filter, p, "list"),

    fbmQueue: (db, actor, accountId, p) =>
      page(
        db,
        actor,
        accountId,
        "orders:ship",
        { fulfillmentChannel: "FBM", status: [...SHIPPABLE] },
        p,
        "fbm_queue",
      ),

    async getOrder(db, actor, accountId, orderId) {
      const access = await authorizer.authorize(db, actor, "orders:read", accountId);
      const { order, items } = await load(db, access.accountId, orderId);
      await read(actor, access, { order: order.amazon_order_id });
      let buyer: OrderPii | null = null;
      let reveal: RevealGrant | null = null;
      if (access.permissions.has("orders:read_pii") && summaryHasBuyer(order)) {
        reveal = await reveals.liveReveal(db, access.userId, access.accountId, order.amazon_order_id);
        if (reveal) buyer = await openBuyer(db, actor, access, order, reveal);
      }
      return detail(order, items, buyer, reveal);
    },

    async reveal(db, actor, request) {
      const access = await authorizer.authorize(db, actor, "orders:read_pii", request.accountId);
      const { order, items } = await load(db, access.accountId, request.orderId);
      if (order.fulfillment_channel !== "FBM" || order.shipping_enabled !== 1) {
        throw new AppError("ORDER_NOT_FBM");
      }
      const grant = await reveals.grant(db, actor, { ...request, orderId: order.amazon_order_id });
      const buyer = await openBuyer(db, actor, access, order, grant);
      return detail(order, items, buyer, grant);
    },

    async packingSlip(db, actor, accountId, orderId) {
      const { access, grant } = await reveals.checkReveal(db, actor, accountId, orderId);
      const { order, items } = await load(db, access.accountId, orderId);
      const buyer = await openBuyer(db, actor, access, order, grant);
      return detail(order, items, buyer, grant);
    },

    async ship(db, actor, accountId, orderId, shipment, confirm) {
      const access = await authorizer.authorize(db, actor, "orders:ship", accountId);
      const { order, items } = await load(db, access.accountId, orderId);
      const shippable = items.filter((i) => i.order_item_id !== null && Number(i.quantity) > 0);
      if (
        order.fulfillment_channel !== "FBM" ||
        !SHIPPABLE.has(order.status) ||
        order.marketplace === null ||
        !MARKETPLACE_ID.test(order.marketplace) ||
        shippable.length === 0 ||
        shippable.length !== items.length
      ) {
        throw new AppError("ORDER_NOT_SHIPPABLE");
      }
      const target = { account: access.accountId, order: order.amazon_order_id };
      try {
        await confirm({
          ...shipment,
          amazonOrderId: order.amazon_order_id,
          marketplaceId: order.marketplace,
          items: shippable.map((i) => ({
            orderItemId: i.order_item_id as string,
            quantity: Number(i.quantity),
          })),
        });
      } catch (err) {
        const reason = err instanceof AppError ? err.code : "INTERNAL";
        await audit.record({
          action: "orders.ship",
          actor: actorLabel(actor),
          outcome: "failure",
          target,
          reason,
        });
        throw err;
      }
      await markOrderShipped(db, access.accountId, order.amazon_order_id, clock.now());
      await audit.record({ action: "orders.ship", actor: actorLabel(actor), outcome: "success", target });
      const after = await load(db, access.accountId, order.amazon_order_id);
      return detail(after.order, after.items, null, null);
    },
  };
}

function summaryHasBuyer(row: OrderRow): boolean {
  return row.has_buyer_data === 1 || row.has_recipient_data === 1;
}

function detail(
  order: OrderRow,
  items: OrderItemRow[],
  buyer: OrderPii | null,
  reveal: RevealGrant | null,
): OrderDetail {
  return {
    order: orderSummary(order),
    items: items.map(itemView),
    buyer,
    reveal: reveal ? { purpose: reveal.purpose, expiresAt: reveal.expiresAt } : null,
  };
}
