import { money } from "./catalog.js";
import { isoSeconds } from "./clock.js";
import type { OrderItemRecord, OrderRecord } from "./data-generator.js";

/** Promised delivery, in days after purchase, per shipping service level: [earliest, latest]. */
const DELIVERY_DAYS: Readonly<Record<string, readonly [number, number]>> = {
  NextDay: [1, 2],
  Expedited: [2, 4],
  Standard: [3, 7],
};

/** The `includedData` datasets of Orders 2026-01-01 the sandbox fills in. */
export const INCLUDED_DATA = [
  "BUYER",
  "RECIPIENT",
  "PROCEEDS",
  "EXPENSE",
  "PROMOTION",
  "CANCELLATION",
  "FULFILLMENT",
  "PACKAGES",
  "TAX",
  "PAYMENT",
  "FULFILLMENT_ORDERS",
] as const;
export type IncludedData = (typeof INCLUDED_DATA)[number];
/** Datasets that carry personal data: only for applications with the matching restricted role. */
export const PII_DATASETS: readonly IncludedData[] = ["BUYER", "RECIPIENT"];

const amount = (cents: number, currencyCode: string) => ({ amount: money(cents), currencyCode });

function itemView(order: OrderRecord, item: OrderItemRecord, included: ReadonlySet<IncludedData>) {
  const currency = order.marketplace.currency;
  const shipped = order.status === "SHIPPED";
  const principal = item.unitCents * item.quantity;
  const view: Record<string, unknown> = {
    orderItemId: item.orderItemId,
    quantityOrdered: item.quantity,
    product: {
      asin: item.product.asin,
      title: item.product.title,
      sellerSku: item.product.sellerSku,
      condition: { conditionType: "NEW", conditionSubtype: "NEW" },
      price: { unitPrice: amount(item.unitCents, currency) },
    },
  };
  if (included.has("PROCEEDS")) {
    const breakdowns = [
      { type: "ITEM", subtotal: amount(principal, currency) },
      { type: "TAX", subtotal: amount(item.taxCents, currency) },
    ];
    if (item.shippingCents > 0)
      breakdowns.push({ type: "SHIPPING", subtotal: amount(item.shippingCents, currency) });
    if (item.promotionCents > 0)
      breakdowns.push({ type: "DISCOUNT", subtotal: amount(-item.promotionCents, currency) });
    view.proceeds = { proceedsTotal: amount(itemTotal(item), currency), breakdowns };
  }
  if (included.has("PROMOTION") && item.promotionCents > 0) {
    view.promotion = { breakdowns: [{ promotionId: `PROMO-${item.product.sellerSku}` }] };
  }
  if (included.has("CANCELLATION") && order.status === "CANCELLED") {
    view.cancellation = { cancellationRequest: { requester: "BUYER", cancelReason: "NO_LONGER_NEEDED" } };
  }
  if (included.has("FULFILLMENT")) {
    view.fulfillment = {
      quantityFulfilled: shipped ? item.quantity : 0,
      quantityUnfulfilled: shipped ? 0 : item.quantity,
    };
  }
  return view;
}

export function itemTotal(item: OrderItemRecord): number {
  return item.unitCents * item.quantity + item.taxCents + item.shippingCents - item.promotionCents;
}

export function orderTotal(order: OrderRecord): number {
  return order.items.reduce((sum, item) => sum + itemTotal(item), 0);
}

/** An order as Orders 2026-01-01 returns it: base fields always, datasets only when asked for. */
export function orderView(order: OrderRecord, included: ReadonlySet<IncludedData>): Record<string, unknown> {
  const currency = order.marketplace.currency;
  const view: Record<string, unknown> = {
    orderId: order.orderId,
    createdTime: isoSeconds(order.createdMs),
    lastUpdatedTime: isoSeconds(order.lastUpdatedMs),
    programs: [...(order.prime ? ["PRIME"] : []), ...(order.business ? ["AMAZON_BUSINESS"] : [])],
    salesChannel: {
      channelName: "AMAZON",
      marketplaceId: order.marketplace.id,
      marketplaceName: order.marketplace.name,
    },
  };
  if (included.has("BUYER")) {
    view.buyer = { buyerName: order.buyerName, buyerEmail: order.buyerEmail };
  }
  if (included.has("RECIPIENT")) {
    const { phone, ...address } = order.address;
    view.recipient = { deliveryAddress: { ...address, phone, addressType: "RESIDENTIAL" } };
  }
  if (included.has("PROCEEDS")) view.proceeds = { grandTotal: amount(orderTotal(order), currency) };
  if (included.has("FULFILLMENT")) {
    view.fulfillment = {
      fulfillmentStatus: order.status,
      fulfilledBy: order.fulfilledBy,
      fulfillmentServiceLevel: order.serviceLevel.toUpperCase(),
      shipByWindow: {
        earliestDateTime: isoSeconds(order.createdMs),
        latestDateTime: isoSeconds(order.createdMs + 2 * 86_400_000),
      },
      // The promise made to the buyer: what retention counts from while no delivery is reported.
      deliverByWindow: {
        earliestDateTime: isoSeconds(
          order.createdMs + (DELIVERY_DAYS[order.serviceLevel]?.[0] ?? 3) * 86_400_000,
        ),
        latestDateTime: isoSeconds(
          order.createdMs + (DELIVERY_DAYS[order.serviceLevel]?.[1] ?? 7) * 86_400_000,
        ),
      },
    };
  }
  view.orderItems = order.items.map((item) => itemView(order, item, included));
  if (included.has("PACKAGES") && order.shipment) {
    const s = order.shipment;
    view.packages = [
      {
        packageReferenceId: s.packageReferenceId,
        createdTime: isoSeconds(s.shipMs),
        packageStatus: { status: s.deliveredMs === undefined ? "IN_TRANSIT" : "DELIVERED" },
        carrier: s.carrier,
        shipTime: isoSeconds(s.shipMs),
        trackingNumber: s.trackingNumber,
        packageItems: order.items.map((item) => ({ orderItemId: item.orderItemId, quantity: item.quantity })),
      },
    ];
  }
  if (included.has("FULFILLMENT_ORDERS") && order.fulfilledBy === "AMAZON") {
    view.fulfillmentOrders = [{ fulfillmentOrderId: `FO-${order.orderId}` }];
  }
  return view;
}

/** Columns of the order-tracking flat files: no buyer name, no street address. */
export const REPORT_COLUMNS = [
  "amazon-order-id",
  "merchant-order-id",
  "purchase-date",
  "last-updated-date",
  "order-status",
  "fulfillment-channel",
  "sales-channel",
  "order-channel",
  "ship-service-level",
  "product-name",
  "sku",
  "asin",
  "item-status",
  "quantity",
  "currency",
  "item-price",
  "item-tax",
  "shipping-price",
  "shipping-tax",
  "gift-wrap-price",
  "gift-wrap-tax",
  "item-promotion-discount",
  "ship-promotion-discount",
  "ship-city",
  "ship-state",
  "ship-postal-code",
  "ship-country",
  "promotion-ids",
  "is-business-order",
  "purchase-order-number",
  "price-designation",
] as const;

const REPORT_STATUS: Record<OrderRecord["status"], string> = {
  PENDING: "Pending",
  UNSHIPPED: "Unshipped",
  PARTIALLY_SHIPPED: "PartiallyShipped",
  SHIPPED: "Shipped",
  CANCELLED: "Cancelled",
};

const isoOffset = (ms: number) => isoSeconds(ms).replace("Z", "+00:00");
const tsv = (value: string) => value.replace(/[\t\r\n]/g, " ");

export function reportRows(order: OrderRecord): string[] {
  return order.items.map((item) =>
    [
      order.orderId,
      order.orderId,
      isoOffset(order.createdMs),
      isoOffset(order.lastUpdatedMs),
      REPORT_STATUS[order.status],
      order.fulfilledBy === "AMAZON" ? "Amazon" : "Merchant",
      order.marketplace.name,
      "",
      order.serviceLevel,
      item.product.title,
      item.product.sellerSku,
      item.product.asin,
      order.status === "CANCELLED" ? "Cancelled" : order.status === "SHIPPED" ? "Shipped" : "Unshipped",
      String(item.quantity),
      order.marketplace.currency,
      money(item.unitCents * item.quantity),
      money(item.taxCents),
      money(item.shippingCents),
      "0.00",
      "",
      "",
      item.promotionCents > 0 ? money(-item.promotionCents) : "",
      "",
      order.address.city,
      order.address.stateOrRegion,
      order.address.postalCode,
      order.address.countryCode,
      item.promotionCents > 0 ? `PROMO-${item.product.sellerSku}` : "",
      order.business ? "true" : "false",
      "",
      "",
    ]
      .map(tsv)
      .join("\t"),
  );
}
