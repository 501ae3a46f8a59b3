import type { Order } from "../amazon/operations/orders.js";
import { isCurrencyCode, parseMinorUnits } from "./money.js";
import {
  bound,
  isKnownStatus,
  LIMITS,
  type NormalizedOrder,
  type NormalizedOrderItem,
  type OrderPii,
} from "./order-model.js";
import { isoMs } from "./sync-context.js";

/**
 * Orders 2026-01-01 -> the normalized model. Money comes as decimal strings and is parsed exactly; a
 * value that cannot be read becomes null ("not known"), never 0, so merging keeps what is stored.
 * Returns a reason code instead of an order when the record lacks what every order must have.
 */
export type ApiOrderReject = "MISSING_STATUS" | "BAD_DATE" | "MISSING_FIELD";

const CHANNEL: Readonly<Record<string, "FBA" | "FBM">> = { AMAZON: "FBA", MERCHANT: "FBM" };

function minor(value: { amount: string; currencyCode: string } | undefined): number | null {
  if (!value || !isCurrencyCode(value.currencyCode)) return null;
  return parseMinorUnits(value.amount, value.currencyCode);
}

function text(value: string | undefined, max: number): string | null {
  if (value === undefined) return null;
  const v = value.trim();
  return v === "" ? null : bound(v, max);
}

function item(raw: Order["orderItems"][number]): NormalizedOrderItem {
  const unit = raw.product.price?.unitPrice;
  const breakdown = (type: string) => {
    const b = raw.proceeds?.breakdowns?.find((x) => x.type === type);
    return b ? minor(b.subtotal) : null;
  };
  const unitMinor = minor(unit);
  const itemPrice = breakdown("ITEM") ?? (unitMinor === null ? null : unitMinor * raw.quantityOrdered);
  const discount = breakdown("DISCOUNT");
  const currency =
    unit && isCurrencyCode(unit.currencyCode)
      ? unit.currencyCode
      : (raw.proceeds?.proceedsTotal?.currencyCode ?? null);
  return {
    itemKey: bound(raw.orderItemId, LIMITS.itemKey),
    orderItemId: bound(raw.orderItemId, LIMITS.orderId),
    sku: text(raw.product.sellerSku, LIMITS.sku),
    asin: text(raw.product.asin, LIMITS.asin),
    title: text(raw.product.title, LIMITS.title),
    quantity: raw.quantityOrdered,
    currency: currency !== null && isCurrencyCode(currency) ? currency : null,
    itemPriceMinor: itemPrice,
    itemTaxMinor: breakdown("TAX"),
    shippingPriceMinor: breakdown("SHIPPING"),
    promotionDiscountMinor: discount === null ? null : -Math.abs(discount),
  };
}

function pii(order: Order): OrderPii | null {
  const address = order.recipient?.deliveryAddress;
  const buyerName = text(order.buyer?.buyerName, LIMITS.piiField);
  if (!address && buyerName === null) return null;
  const f = (v: string | undefined) => text(v, LIMITS.piiField);
  return {
    buyerName,
    shipName: f(address?.name),
    addressLine1: f(address?.addressLine1),
    addressLine2: f(address?.addressLine2),
    addressLine3: f(address?.addressLine3),
    city: f(address?.city),
    stateOrRegion: f(address?.stateOrRegion),
    postalCode: f(address?.postalCode),
    countryCode: f(address?.countryCode),
    phone: f(address?.phone),
  };
}

export function normalizeApiOrder(order: Order): NormalizedOrder | ApiOrderReject {
  const status = order.fulfillment?.fulfillmentStatus;
  if (!status) return "MISSING_STATUS";
  const purchaseDate = isoMs(order.createdTime);
  const lastUpdatedAt = isoMs(order.lastUpdatedTime);
  if (purchaseDate === null || lastUpdatedAt === null) return "BAD_DATE";
  if (order.orderId.length > LIMITS.orderId) return "MISSING_FIELD";
  const rawChannel = order.fulfillment?.fulfilledBy ?? "";
  const channel = CHANNEL[rawChannel];
  const items = order.orderItems.map(item);
  const grand = order.proceeds?.grandTotal;
  const country = order.recipient?.deliveryAddress?.countryCode?.toUpperCase();
  const programs = order.programs;
  const channelName = order.salesChannel.marketplaceId ?? order.salesChannel.marketplaceName;
  return {
    amazonOrderId: order.orderId,
    source: "api",
    marketplace: text(channelName, LIMITS.marketplace),
    status: bound(status, LIMITS.enumText),
    fulfillmentChannel: channel ?? (rawChannel === "" ? "UNKNOWN" : bound(rawChannel, LIMITS.enumText)),
    purchaseDate,
    lastUpdatedAt,
    latestShipDate: isoMs(order.fulfillment?.shipByWindow?.latestDateTime),
    latestDeliveryDate: isoMs(order.fulfillment?.deliverByWindow?.latestDateTime),
    deliveredAt: null,
    totalMinor: minor(grand),
    currency: grand && isCurrencyCode(grand.currencyCode) ? grand.currencyCode : null,
    itemCount: items.length,
    unitCount: items.reduce((n, i) => n + i.quantity, 0),
    shipServiceLevel: text(order.fulfillment?.fulfillmentServiceLevel, LIMITS.serviceLevel),
    shipCountry: country && /^[A-Z]{2}$/.test(country) ? country : null,
    isBusiness: programs ? programs.includes("AMAZON_BUSINESS") : null,
    isPrime: programs ? programs.includes("PRIME") : null,
    unknownEnum: !isKnownStatus(status) || channel === undefined,
    items,
    pii: pii(order),
  };
}
