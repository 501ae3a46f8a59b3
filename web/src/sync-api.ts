// Typed calls for the seller data pages: orders and FBM processing, dashboard, inventory, pricing, finances,
// sync health. The server decides what each role sees; these only check the shapes that come back.
import { isRecord, requestJson, type Validator } from "./api";

const withSignal = (signal?: AbortSignal) => (signal ? { signal } : {});
const seg = encodeURIComponent;
const base = (accountId: string) => `/api/accounts/${seg(accountId)}`;

/** Accepts an object whose listed keys are arrays (or null where allowed); the rows are trusted as typed. */
function shaped<T>(arrays: readonly string[], nullable: readonly string[] = []): Validator<T> {
  return (value) => {
    if (!isRecord(value)) return null;
    for (const key of arrays) {
      const v = value[key];
      if (!Array.isArray(v) && !(nullable.includes(key) && v === null)) return null;
    }
    return value as T;
  };
}

function withBoolean<T>(key: string): Validator<T> {
  return (value) => (isRecord(value) && typeof value[key] === "boolean" ? (value as T) : null);
}

export interface OrderSummary {
  amazonOrderId: string;
  status: string;
  fulfillmentChannel: string;
  marketplace: string | null;
  purchaseDate: string;
  latestShipDate: string | null;
  latestDeliveryDate: string | null;
  deliveredAt: string | null;
  totalMinor: number | null;
  currency: string | null;
  itemCount: number | null;
  shipServiceLevel: string | null;
  shipCountry: string | null;
  isPrime: boolean | null;
  hasBuyerData: boolean;
  /** When the retention policy deletes the stored buyer data (null when none is stored). */
  buyerDataDeletedAfter: string | null;
}

export interface OrderItem {
  itemKey: string;
  orderItemId: string | null;
  sku: string | null;
  asin: string | null;
  title: string | null;
  quantity: number;
  currency: string | null;
  itemPriceMinor: number | null;
}

export interface Buyer {
  buyerName: string | null;
  shipName: string | null;
  addressLine1: string | null;
  addressLine2: string | null;
  addressLine3: string | null;
  city: string | null;
  stateOrRegion: string | null;
  postalCode: string | null;
  countryCode: string | null;
  phone: string | null;
}

export interface OrderDetail {
  order: OrderSummary;
  items: OrderItem[];
  buyer: Buyer | null;
  reveal: { purpose: string; expiresAt: string } | null;
}

export interface OrderPage {
  orders: OrderSummary[];
  nextCursor: string | null;
}

export interface OrderFilters {
  status?: string;
  channel?: string;
  from?: string;
  to?: string;
  search?: string;
  cursor?: string | null;
  limit?: number;
}

export const REVEAL_PURPOSES = [
  { value: "ship_order", label: "Ship the order" },
  { value: "customer_service", label: "Answer the customer" },
  { value: "tax_invoice", label: "Issue a tax invoice" },
  { value: "return_processing", label: "Process a return" },
] as const;

const detailValidator: Validator<OrderDetail> = (value) =>
  isRecord(value) && isRecord(value.order) && Array.isArray(value.items)
    ? (value as unknown as OrderDetail)
    : null;
const pageValidator = shaped<OrderPage>(["orders"]);

function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

export const orders = {
  list: (accountId: string, f: OrderFilters, signal?: AbortSignal) =>
    requestJson("GET", `${base(accountId)}/orders${query({ ...f })}`, pageValidator, withSignal(signal)),
  get: (accountId: string, orderId: string, signal?: AbortSignal) =>
    requestJson("GET", `${base(accountId)}/orders/${seg(orderId)}`, detailValidator, withSignal(signal)),
  reveal: (accountId: string, orderId: string, purpose: string, note: string) =>
    requestJson("POST", `${base(accountId)}/orders/${seg(orderId)}/reveal`, detailValidator, {
      body: note.trim() ? { purpose, note: note.trim() } : { purpose },
    }),
  packingSlip: (accountId: string, orderId: string, signal?: AbortSignal) =>
    requestJson(
      "GET",
      `${base(accountId)}/orders/${seg(orderId)}/packing-slip`,
      detailValidator,
      withSignal(signal),
    ),
  ship: (
    accountId: string,
    orderId: string,
    body: { carrier: string; trackingNumber: string; shipDate?: string },
  ) => requestJson("POST", `${base(accountId)}/orders/${seg(orderId)}/ship`, detailValidator, { body }),
  fbmQueue: (accountId: string, cursor: string | null, signal?: AbortSignal) =>
    requestJson(
      "GET",
      `${base(accountId)}/fbm-queue${query({ cursor, limit: 50 })}`,
      pageValidator,
      withSignal(signal),
    ),
};

export interface PeriodMoney {
  period: string;
  currency: string;
  chargesMinor: number;
  feesMinor: number;
  proceedsMinor: number;
}

export interface Dashboard {
  from: string;
  to: string;
  salesByDay: Array<{ day: string; currency: string; orders: number; totalMinor: number }>;
  ordersByStatus: Array<{ status: string; count: number }>;
  finances: PeriodMoney[] | null;
}

export interface InventoryItem {
  marketplace: string;
  sku: string;
  asin: string | null;
  productName: string | null;
  fulfillable: number;
  inbound: number;
  reserved: number;
  unfulfillable: number;
  total: number;
  lowStock: boolean;
  lastUpdatedAt: string;
}

export interface Price {
  marketplace: string;
  asin: string;
  sku: string | null;
  currency: string;
  ownPriceMinor: number | null;
  buyBoxPriceMinor: number | null;
  lowestPriceMinor: number | null;
  offerCount: number | null;
  buyBox: "won" | "lost" | "unknown";
  aboveLowestMinor: number | null;
  asOf: string;
}

export interface Finances {
  from: string;
  to: string;
  period: "day" | "month";
  periods: PeriodMoney[];
  breakdown: Array<{
    period: string;
    eventType: string;
    feeType: string | null;
    currency: string;
    totalMinor: number;
    count: number;
  }>;
}

export interface StreamHealth {
  stream: string;
  lastSuccessAt: string | null;
  lagSeconds: number | null;
  lastErrorCode: string | null;
  lastErrorAt: string | null;
  throttledCount: number;
}

/** The account's sync schedule as the job runner sees it. */
export interface SyncStatus {
  everyMs: number | null;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  lastErrorCode: string | null;
  lastErrorAt: string | null;
  pausedAt: string | null;
  pausedCode: string | null;
  running: boolean;
}

export const insights = {
  dashboard: (accountId: string, range: { from?: string; to?: string }, signal?: AbortSignal) =>
    requestJson(
      "GET",
      `${base(accountId)}/dashboard${query(range)}`,
      shaped<Dashboard>(["salesByDay", "ordersByStatus", "finances"], ["finances"]),
      withSignal(signal),
    ),
  inventory: (accountId: string, lowStockBelow: number, lowOnly: boolean, signal?: AbortSignal) =>
    requestJson(
      "GET",
      `${base(accountId)}/inventory${query({ lowStockBelow, lowOnly: String(lowOnly) })}`,
      shaped<{ items: InventoryItem[] }>(["items"]),
      withSignal(signal),
    ),
  pricing: (accountId: string, signal?: AbortSignal) =>
    requestJson(
      "GET",
      `${base(accountId)}/pricing`,
      shaped<{ prices: Price[] }>(["prices"]),
      withSignal(signal),
    ),
  finances: (accountId: string, period: "day" | "month", signal?: AbortSignal) =>
    requestJson(
      "GET",
      `${base(accountId)}/finances${query({ period })}`,
      shaped<Finances>(["periods", "breakdown"]),
      withSignal(signal),
    ),
  syncStatus: (accountId: string, signal?: AbortSignal) =>
    requestJson("GET", `${base(accountId)}/sync`, withBoolean<SyncStatus>("running"), withSignal(signal)),
  syncNow: (accountId: string) =>
    requestJson("POST", `${base(accountId)}/sync`, withBoolean<{ queued: boolean }>("queued"), {
      body: { full: false },
    }),
  syncHealth: (accountId: string, signal?: AbortSignal) =>
    requestJson(
      "GET",
      `${base(accountId)}/sync-health`,
      shaped<{ streams: StreamHealth[] }>(["streams"]),
      withSignal(signal),
    ),
};

/** Minor units to a display amount in the currency's usual form (most have 2 decimals; JPY none). */
export function formatMoney(minor: number | null, currency: string | null): string {
  if (minor === null || currency === null) return "—";
  const digits = currency === "JPY" ? 0 : 2;
  try {
    return new Intl.NumberFormat(undefined, {
      style: "currency",
      currency,
      minimumFractionDigits: digits,
    }).format(minor / 10 ** digits);
  } catch {
    return `${(minor / 10 ** digits).toFixed(digits)} ${currency}`;
  }
}
