import { z } from "zod";
import { MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";

/** Query and response pieces the orders and insights routes share; every string bounded. */
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A date or date-time in a query, normalized to the stored form (ISO, UTC, milliseconds). */
export const instant = z
  .string()
  .max(40)
  .regex(ISO)
  .refine((v) => !Number.isNaN(Date.parse(v)) && Date.parse(v) > 0 && Date.parse(v) < 8.64e15)
  .transform((v) => new Date(v).toISOString());

export const accountParams = z.object({ accountId: z.string().max(64) });
export const orderParams = z.object({ accountId: z.string().max(64), orderId: z.string().max(64) });

export const pageLimit = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback);

/** Two years and a day: the backfill's horizon, and a bound on how much one request may sum. */
export const MAX_RANGE_MS = 732 * MS.day;

/** Resolves a requested range (default: the last `days` up to now), refusing inverted or oversized ones. */
export function resolveRange(
  query: { from?: string | undefined; to?: string | undefined },
  now: Date,
  days: number,
): { from: string; to: string } {
  const to = query.to ?? new Date(now.getTime() + MS.day).toISOString().slice(0, 10).concat("T00:00:00.000Z");
  const from = query.from ?? new Date(Date.parse(to) - days * MS.day).toISOString();
  const span = Date.parse(to) - Date.parse(from);
  if (span <= 0 || span > MAX_RANGE_MS) {
    throw new AppError("VALIDATION_FAILED", "The date range must be positive and at most two years.", {
      details: { field: "from" },
    });
  }
  return { from, to };
}

const text = (max: number) => z.string().max(max);
const money = z.number().int().nullable();

export const orderSummaryView = z.object({
  amazonOrderId: text(64),
  status: text(40),
  fulfillmentChannel: text(40),
  marketplace: text(64).nullable(),
  purchaseDate: text(40),
  lastUpdatedAt: text(40),
  latestShipDate: text(40).nullable(),
  latestDeliveryDate: text(40).nullable(),
  deliveredAt: text(40).nullable(),
  totalMinor: money,
  currency: text(3).nullable(),
  itemCount: z.number().int().nullable(),
  unitCount: z.number().int().nullable(),
  shipServiceLevel: text(40).nullable(),
  shipCountry: text(2).nullable(),
  isPrime: z.boolean().nullable(),
  isBusiness: z.boolean().nullable(),
  hasBuyerData: z.boolean(),
  buyerDataDeletedAfter: text(40).nullable(),
});

export const orderItemView = z.object({
  itemKey: text(240),
  orderItemId: text(64).nullable(),
  sku: text(200).nullable(),
  asin: text(20).nullable(),
  title: text(500).nullable(),
  quantity: z.number().int(),
  currency: text(3).nullable(),
  itemPriceMinor: money,
  itemTaxMinor: money,
  shippingPriceMinor: money,
  promotionDiscountMinor: money,
});

const piiField = text(400).nullable();
export const buyerView = z.object({
  buyerName: piiField,
  shipName: piiField,
  addressLine1: piiField,
  addressLine2: piiField,
  addressLine3: piiField,
  city: piiField,
  stateOrRegion: piiField,
  postalCode: piiField,
  countryCode: piiField,
  phone: piiField,
});

export const orderDetailView = z.object({
  order: orderSummaryView,
  items: z.array(orderItemView).max(1_000),
  /** Null: masked (no live reveal of this order by this user). */
  buyer: buyerView.nullable(),
  reveal: z.object({ purpose: text(40), expiresAt: text(40) }).nullable(),
});

export const orderPageView = z.object({
  orders: z.array(orderSummaryView).max(200),
  nextCursor: text(200).nullable(),
});
