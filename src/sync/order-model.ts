import { z } from "zod";

/**
 * The normalized order every source (order-tracking reports, Orders 2026-01-01) is mapped to before it is
 * stored. `null` always means "this source does not know", never "empty": merging keeps what is stored
 * for every field the incoming record leaves null.
 */

/** Order statuses as Orders 2026-01-01 names them; reports' "Shipped" etc. are mapped onto these. */
export const ORDER_STATUSES = [
  "PENDING_AVAILABILITY",
  "PENDING",
  "UNSHIPPED",
  "PARTIALLY_SHIPPED",
  "SHIPPED",
  "CANCELLED",
  "UNFULFILLABLE",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const FULFILLMENT_CHANNELS = ["FBA", "FBM"] as const;
export type FulfillmentChannel = (typeof FULFILLMENT_CHANNELS)[number];

/** Richer sources rank higher: at equal last-updated times the richer one's known values win. */
export const ORDER_SOURCES = ["report", "api"] as const;
export type OrderSource = (typeof ORDER_SOURCES)[number];
export const SOURCE_RANK: Readonly<Record<OrderSource, number>> = { report: 1, api: 2 };

/** Bounds of the text columns; longer values are cut (titles) or refused (ids). */
export const LIMITS = {
  orderId: 64,
  enumText: 40,
  marketplace: 64,
  sku: 200,
  asin: 20,
  title: 500,
  serviceLevel: 40,
  itemKey: 240,
  piiField: 400,
} as const;

const iso = z.iso.datetime({ offset: false, precision: 3 });
const minor = z.number().int().refine(Number.isSafeInteger, "minor units must be a safe integer");
const currency = z.string().regex(/^[A-Z]{3}$/);
const bounded = (max: number) => z.string().min(1).max(max);

export const orderItemSchema = z.object({
  /** Stable key within the order: Amazon's orderItemId, or "r:<sku>" for report lines that lack one. */
  itemKey: bounded(LIMITS.itemKey),
  orderItemId: bounded(LIMITS.orderId).nullable(),
  sku: bounded(LIMITS.sku).nullable(),
  asin: bounded(LIMITS.asin).nullable(),
  title: z.string().max(LIMITS.title).nullable(),
  quantity: z.number().int().min(0),
  currency: currency.nullable(),
  /** Price of the line (unit price x quantity). */
  itemPriceMinor: minor.nullable(),
  itemTaxMinor: minor.nullable(),
  shippingPriceMinor: minor.nullable(),
  /** Negative or zero: discounts reduce the total. */
  promotionDiscountMinor: minor.nullable(),
});
export type NormalizedOrderItem = z.infer<typeof orderItemSchema>;

/** FBM buyer and recipient data: only ever stored sealed, and only when the account's FBM feature is on. */
export const orderPiiSchema = z.object({
  buyerName: z.string().max(LIMITS.piiField).nullable(),
  shipName: z.string().max(LIMITS.piiField).nullable(),
  addressLine1: z.string().max(LIMITS.piiField).nullable(),
  addressLine2: z.string().max(LIMITS.piiField).nullable(),
  addressLine3: z.string().max(LIMITS.piiField).nullable(),
  city: z.string().max(LIMITS.piiField).nullable(),
  stateOrRegion: z.string().max(LIMITS.piiField).nullable(),
  postalCode: z.string().max(LIMITS.piiField).nullable(),
  countryCode: z.string().max(LIMITS.piiField).nullable(),
  phone: z.string().max(LIMITS.piiField).nullable(),
});
export type OrderPii = z.infer<typeof orderPiiSchema>;
export const PII_FIELDS = Object.keys(orderPiiSchema.shape) as Array<keyof OrderPii>;

export const normalizedOrderSchema = z.object({
  amazonOrderId: bounded(LIMITS.orderId),
  source: z.enum(ORDER_SOURCES),
  /** Marketplace id when known (ATVPDKIKX0DER), else the sales channel name the source gave. */
  marketplace: bounded(LIMITS.marketplace).nullable(),
  /** A known OrderStatus, or the unknown value as sent (bounded) with `unknownEnum` set. */
  status: bounded(LIMITS.enumText),
  fulfillmentChannel: bounded(LIMITS.enumText),
  purchaseDate: iso,
  lastUpdatedAt: iso,
  latestShipDate: iso.nullable(),
  latestDeliveryDate: iso.nullable(),
  deliveredAt: iso.nullable(),
  totalMinor: minor.nullable(),
  currency: currency.nullable(),
  itemCount: z.number().int().min(0).nullable(),
  unitCount: z.number().int().min(0).nullable(),
  shipServiceLevel: bounded(LIMITS.serviceLevel).nullable(),
  /** ISO country of the destination: not personal on its own, kept for every order. */
  shipCountry: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .nullable(),
  isBusiness: z.boolean().nullable(),
  isPrime: z.boolean().nullable(),
  /** Whether status or channel held a value this version does not know. */
  unknownEnum: z.boolean(),
  /** Null: this source does not list items (the stored ones are kept). */
  items: z.array(orderItemSchema).nullable(),
  /** Null: no buyer/recipient data in this record (reports never carry any). */
  pii: orderPiiSchema.nullable(),
});
export type NormalizedOrder = z.infer<typeof normalizedOrderSchema>;

export function isKnownStatus(value: string): value is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(value);
}

export function isKnownChannel(value: string): value is FulfillmentChannel {
  return (FULFILLMENT_CHANNELS as readonly string[]).includes(value);
}

/** Cuts a value to the column bound without splitting a surrogate pair. */
export function bound(value: string, max: number): string {
  if (value.length <= max) return value;
  const cut = value.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
