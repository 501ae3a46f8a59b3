import { isCurrencyCode, parseMinorUnits } from "./money.js";
import {
  bound,
  LIMITS,
  type NormalizedOrder,
  type NormalizedOrderItem,
  type OrderStatus,
} from "./order-model.js";

/**
 * One line of an order-tracking flat file -> the normalized model: report values mapped onto the
 * Orders 2026-01-01 vocabulary, money parsed exactly, dates made UTC. A line that cannot be read throws
 * a RowError with its reason; the parser counts it and moves on.
 */
export const BAD_ROW_REASONS = [
  "BAD_ENCODING",
  "LINE_TOO_LONG",
  "COLUMN_COUNT",
  "MISSING_FIELD",
  "BAD_DATE",
  "BAD_MONEY",
  "BAD_CURRENCY",
  "BAD_QUANTITY",
  "CURRENCY_MISMATCH",
] as const;
export type BadRowReason = (typeof BAD_ROW_REASONS)[number];

/** A row that was not stored: where and why, never its content (report rows hold buyer locations). */
export interface BadRow {
  /** 1-based line number in the document; the header is row 1. */
  row: number;
  reason: BadRowReason;
  column?: string;
}

export const REQUIRED_COLUMNS = [
  "amazon-order-id",
  "purchase-date",
  "last-updated-date",
  "order-status",
  "fulfillment-channel",
];

const STATUS: Readonly<Record<string, OrderStatus>> = {
  pending: "PENDING",
  "pending - waiting for pick up": "PENDING",
  pendingavailability: "PENDING_AVAILABILITY",
  unshipped: "UNSHIPPED",
  partiallyshipped: "PARTIALLY_SHIPPED",
  shipping: "UNSHIPPED",
  shipped: "SHIPPED",
  complete: "SHIPPED",
  cancelled: "CANCELLED",
  canceled: "CANCELLED",
  unfulfillable: "UNFULFILLABLE",
};
const CHANNEL: Readonly<Record<string, "FBA" | "FBM">> = {
  amazon: "FBA",
  afn: "FBA",
  merchant: "FBM",
  mfn: "FBM",
};
/** Sales channel names of the order reports -> marketplace ids (unknown names are kept as given). */
const MARKETPLACES: Readonly<Record<string, string>> = {
  "amazon.com": "ATVPDKIKX0DER",
  "amazon.ca": "A2EUQ1WTGCTBG2",
  "amazon.com.mx": "A1AM78C64UM0Y8",
  "amazon.co.uk": "A1F83G8C2ARO7P",
  "amazon.de": "A1PA6795UKMFR9",
  "amazon.fr": "A13V1IB3VIYZZH",
  "amazon.it": "APJ6JRA9NG5V4",
  "amazon.es": "A1RKKUPIHCS9HS",
  "amazon.co.jp": "A1VC38T7YXB528",
};

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}:\d{2})$/;

/** Strict ISO-8601 with an offset -> UTC with milliseconds; null for anything else (incl. Feb 30). */
export function parseReportDate(value: string): string | null {
  const m = ISO.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const local = Date.UTC(
    y as number,
    (mo as number) - 1,
    d as number,
    h as number,
    mi as number,
    s as number,
  );
  const check = new Date(local);
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== (mo as number) - 1 ||
    check.getUTCDate() !== d ||
    check.getUTCHours() !== h ||
    check.getUTCMinutes() !== mi
  ) {
    return null;
  }
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

export class RowError extends Error {
  constructor(
    readonly reason: BadRowReason,
    readonly column?: string,
  ) {
    super(reason);
  }
}

export interface ParsedLine {
  order: NormalizedOrder;
  item: NormalizedOrderItem;
  lineTotal: number | null;
}

export function lineParser(header: readonly string[]) {
  const index = new Map(header.map((name, i) => [name, i]));
  return (fields: readonly string[]): ParsedLine => {
    if (fields.length !== header.length) throw new RowError("COLUMN_COUNT");
    const get = (name: string) => {
      const i = index.get(name);
      return i === undefined ? "" : (fields[i] ?? "").trim();
    };
    const required = (name: string, max: number) => {
      const v = get(name);
      if (v === "" || v.length > max) throw new RowError("MISSING_FIELD", name);
      return v;
    };
    const date = (name: string) => {
      const v = parseReportDate(get(name));
      if (v === null) throw new RowError("BAD_DATE", name);
      return v;
    };
    const amazonOrderId = required("amazon-order-id", LIMITS.orderId);
    const purchaseDate = date("purchase-date");
    const lastUpdatedAt = date("last-updated-date");
    // Unknown values are kept (cut to the column bound) and flagged, not refused.
    const rawStatus = bound(required("order-status", Number.POSITIVE_INFINITY), LIMITS.enumText);
    const rawChannel = bound(required("fulfillment-channel", Number.POSITIVE_INFINITY), LIMITS.enumText);
    const status = STATUS[rawStatus.toLowerCase()];
    const channel = CHANNEL[rawChannel.toLowerCase()];

    const sku = get("sku");
    const asin = get("asin");
    if (sku === "" && asin === "") throw new RowError("MISSING_FIELD", "sku");
    if (sku.length > LIMITS.sku) throw new RowError("MISSING_FIELD", "sku");
    const quantityText = get("quantity");
    if (!/^\d{1,9}$/.test(quantityText)) throw new RowError("BAD_QUANTITY", "quantity");
    const currency = get("currency");
    const money = (name: string): number | null => {
      const v = get(name);
      if (v === "") return null;
      if (!isCurrencyCode(currency)) throw new RowError("BAD_CURRENCY", "currency");
      const minor = parseMinorUnits(v, currency);
      if (minor === null) throw new RowError("BAD_MONEY", name);
      return minor;
    };
    const price = money("item-price");
    const tax = money("item-tax");
    const shipping = money("shipping-price");
    const shippingTax = money("shipping-tax");
    const giftWrap = money("gift-wrap-price");
    const giftWrapTax = money("gift-wrap-tax");
    const itemPromo = money("item-promotion-discount");
    const shipPromo = money("ship-promotion-discount");
    // Discounts reduce the total whichever sign the report used.
    const discount = itemPromo === null ? null : -Math.abs(itemPromo);
    const parts = [price, tax, shipping, shippingTax, giftWrap, giftWrapTax, discount];
    if (shipPromo !== null) parts.push(-Math.abs(shipPromo));
    const known = parts.filter((p): p is number => p !== null);
    const lineTotal = known.length === 0 ? null : known.reduce((a, b) => a + b, 0);

    const channelName = get("sales-channel");
    const country = get("ship-country").toUpperCase();
    const business = get("is-business-order").toLowerCase();
    const title = get("product-name");
    const serviceLevel = get("ship-service-level");
    const order: NormalizedOrder = {
      amazonOrderId,
      source: "report",
      marketplace:
        channelName === ""
          ? null
          : (MARKETPLACES[channelName.toLowerCase()] ?? bound(channelName, LIMITS.marketplace)),
      status: status ?? rawStatus,
      fulfillmentChannel: channel ?? rawChannel,
      purchaseDate,
      lastUpdatedAt,
      latestShipDate: null,
      latestDeliveryDate: null,
      deliveredAt: null,
      totalMinor: null,
      currency: isCurrencyCode(currency) ? currency : null,
      itemCount: null,
      unitCount: null,
      shipServiceLevel: serviceLevel === "" ? null : bound(serviceLevel, LIMITS.serviceLevel),
      shipCountry: /^[A-Z]{2}$/.test(country) ? country : null,
      isBusiness: business === "true" ? true : business === "false" ? false : null,
      isPrime: null,
      unknownEnum: status === undefined || channel === undefined,
      items: [],
      pii: null,
    };
    const item: NormalizedOrderItem = {
      itemKey: sku !== "" ? `r:${sku}` : `r:asin:${asin}`,
      orderItemId: null,
      sku: sku === "" ? null : sku,
      asin: asin === "" ? null : bound(asin, LIMITS.asin),
      title: title === "" ? null : bound(title, LIMITS.title),
      quantity: Number(quantityText),
      currency: isCurrencyCode(currency) ? currency : null,
      itemPriceMinor: price,
      itemTaxMinor: tax,
      shippingPriceMinor: shipping,
      promotionDiscountMinor: discount,
    };
    return { order, item, lineTotal };
  };
}

/** Adds a line's item to its order (several lines of one order become one record). */
export function addLine(order: NormalizedOrder, line: ParsedLine): void {
  const items = order.items as NormalizedOrderItem[];
  let key = line.item.itemKey;
  for (let n = 2; items.some((i) => i.itemKey === key); n++) key = `${line.item.itemKey}#${n}`;
  items.push({ ...line.item, itemKey: key });
  order.itemCount = items.length;
  order.unitCount = (order.unitCount ?? 0) + line.item.quantity;
  if (line.lineTotal !== null) order.totalMinor = (order.totalMinor ?? 0) + line.lineTotal;
  if (order.lastUpdatedAt < line.order.lastUpdatedAt) order.lastUpdatedAt = line.order.lastUpdatedAt;
}
