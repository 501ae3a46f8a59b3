import type { Kysely } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import { financeTotals } from "../sync/financial-events-repo.js";
import { listInventory } from "../sync/inventory-repo.js";
import { countOrdersByStatus, salesByDay } from "../sync/orders-query-repo.js";
import { listPrices } from "../sync/prices-repo.js";
import { listCheckpoints } from "../sync/sync-checkpoints-repo.js";
import { type AccessGrant, type Actor, type Authorizer, actorLabel } from "./authorize.js";
import type { Permission } from "./permissions.js";

/**
 * The door to the seller's business figures (dashboard, inventory, pricing, finances, sync health): each
 * read authorizes, audits and only then queries. Nothing here is buyer data.
 */
export interface DateRange {
  /** ISO, inclusive. */
  from: string;
  /** ISO, exclusive. */
  to: string;
}

export interface PeriodMoney {
  period: string;
  currency: string;
  /** Positive amounts: charges (principal, shipping, tax collected). */
  chargesMinor: number;
  /** Negative amounts (fees, refunds, promotions), as a positive number. */
  feesMinor: number;
  /** Net: what Amazon pays out for the period. */
  proceedsMinor: number;
}

export interface Dashboard {
  salesByDay: Array<{ day: string; currency: string; orders: number; totalMinor: number }>;
  ordersByStatus: Array<{ status: string; count: number }>;
  /** Null when the caller may not see finances (finances:read): the dashboard shows orders only. */
  finances: PeriodMoney[] | null;
}

export interface InventoryView {
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

export interface PriceView {
  marketplace: string;
  asin: string;
  sku: string | null;
  currency: string;
  ownPriceMinor: number | null;
  buyBoxPriceMinor: number | null;
  lowestPriceMinor: number | null;
  offerCount: number | null;
  /** won / lost the buy box, or unknown when Amazon did not say. */
  buyBox: "won" | "lost" | "unknown";
  /** Our price minus the lowest offer (minor units); null when either is unknown. */
  aboveLowestMinor: number | null;
  asOf: string;
}

export interface FinanceReport {
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
  /** Seconds since the last success; null before the first. */
  lagSeconds: number | null;
  lastErrorCode: string | null;
  lastErrorAt: string | null;
  throttledCount: number;
}

export interface BusinessReads {
  dashboard(db: Kysely<DB>, actor: Actor, accountId: string, range: DateRange): Promise<Dashboard>;
  inventory(
    db: Kysely<DB>,
    actor: Actor,
    accountId: string,
    options: { lowStockBelow: number; lowOnly: boolean; limit: number },
  ): Promise<InventoryView[]>;
  pricing(db: Kysely<DB>, actor: Actor, accountId: string, options: { limit: number }): Promise<PriceView[]>;
  finances(
    db: Kysely<DB>,
    actor: Actor,
    accountId: string,
    range: DateRange & { period: "day" | "month" },
  ): Promise<FinanceReport>;
  syncHealth(db: Kysely<DB>, actor: Actor, accountId: string): Promise<StreamHealth[]>;
}

export interface BusinessReadsDeps {
  authorizer: Pick<Authorizer, "authorize">;
  audit: AuditSink;
  clock: Clock;
}

type Total = Awaited<ReturnType<typeof financeTotals>>[number];

/** Sums finance rows per (period, currency): charges are the positive amounts, fees the negative ones. */
export function periodMoney(rows: readonly Total[]): PeriodMoney[] {
  const byKey = new Map<string, PeriodMoney>();
  for (const r of rows) {
    const key = `${r.period}\n${r.currency}`;
    const m = byKey.get(key) ?? {
      period: r.period,
      currency: r.currency,
      chargesMinor: 0,
      feesMinor: 0,
      proceedsMinor: 0,
    };
    if (r.totalMinor >= 0) m.chargesMinor += r.totalMinor;
    else m.feesMinor -= r.totalMinor;
    m.proceedsMinor += r.totalMinor;
    byKey.set(key, m);
  }
  return [...byKey.values()];
}

export function createBusinessReads(deps: BusinessReadsDeps): BusinessReads {
  const { authorizer, audit, clock } = deps;

  async function open(db: Kysely<DB>, actor: Actor, permission: Permission, accountId: string, what: string) {
    const access: AccessGrant = await authorizer.authorize(db, actor, permission, accountId);
    await audit.record({
      action: `${what}.read`,
      actor: actorLabel(actor),
      outcome: "success",
      target: { account: access.accountId },
    });
    return access;
  }

  return {
    async dashboard(db, actor, accountId, range) {
      const access = await open(db, actor, "orders:read", accountId, "dashboard");
      const [sales, statuses] = await Promise.all([
        salesByDay(db, access.accountId, range),
        countOrdersByStatus(db, access.accountId),
      ]);
      const finances = access.permissions.has("finances:read")
        ? periodMoney(await financeTotals(db, access.accountId, { ...range, period: "day" }))
        : null;
      return {
        salesByDay: sales,
        ordersByStatus: Object.entries(statuses)
          .map(([status, count]) => ({ status, count }))
          .sort((a, b) => a.status.localeCompare(b.status)),
        finances,
      };
    },

    async inventory(db, actor, accountId, options) {
      const access = await open(db, actor, "inventory:read", accountId, "inventory");
      const rows = await listInventory(db, access.accountId, {
        limit: options.limit,
        ...(options.lowOnly ? { below: options.lowStockBelow } : {}),
      });
      return rows.map((r) => ({
        marketplace: r.marketplace,
        sku: r.sku,
        asin: r.asin,
        productName: r.product_name,
        fulfillable: Number(r.fulfillable_quantity),
        inbound: Number(r.inbound_quantity),
        reserved: Number(r.reserved_quantity),
        unfulfillable: Number(r.unfulfillable_quantity),
        total: Number(r.total_quantity),
        lowStock: Number(r.fulfillable_quantity) < options.lowStockBelow,
        lastUpdatedAt: r.last_updated_at,
      }));
    },

    async pricing(db, actor, accountId, options) {
      const access = await open(db, actor, "pricing:read", accountId, "pricing");
      const n = (v: number | null) => (v === null ? null : Number(v));
      return (await listPrices(db, access.accountId, options)).map((r) => {
        const own = n(r.own_price_minor);
        const lowest = n(r.lowest_price_minor);
        return {
          marketplace: r.marketplace,
          asin: r.asin,
          sku: r.sku,
          currency: r.currency,
          ownPriceMinor: own,
          buyBoxPriceMinor: n(r.buy_box_price_minor),
          lowestPriceMinor: lowest,
          offerCount: n(r.offer_count),
          buyBox:
            r.is_buy_box_winner === null ? "unknown" : Number(r.is_buy_box_winner) === 1 ? "won" : "lost",
          aboveLowestMinor: own === null || lowest === null ? null : own - lowest,
          asOf: r.as_of,
        };
      });
    },

    async finances(db, actor, accountId, range) {
      const access = await open(db, actor, "finances:read", accountId, "finances");
      const breakdown = await financeTotals(db, access.accountId, range);
      return { periods: periodMoney(breakdown), breakdown };
    },

    async syncHealth(db, actor, accountId) {
      const access = await open(db, actor, "orders:read", accountId, "sync_health");
      const now = clock.now().getTime();
      // The streams people know (orders, inventory, pricing, finances); the engine's own bookkeeping
      // checkpoints (orders.backfill, orders.window.N, orders.details) would bury them.
      const streams = (await listCheckpoints(db, access.accountId)).filter((c) => !c.stream.includes("."));
      return streams.map((c) => ({
        stream: c.stream,
        lastSuccessAt: c.lastSuccessAt,
        lagSeconds:
          c.lastSuccessAt === null
            ? null
            : Math.max(0, Math.round((now - Date.parse(c.lastSuccessAt)) / 1000)),
        lastErrorCode: c.lastErrorCode,
        lastErrorAt: c.lastErrorAt,
        throttledCount: c.throttledCount,
      }));
    },
  };
}
