import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { BusinessReads } from "../access/business-reads.js";
import type { DB } from "../db/schema.js";
import { requireActor } from "../identity/authentication.js";
import type { Clock } from "../platform/clock.js";
import { accountParams, instant, pageLimit, resolveRange } from "./route-schemas.js";

export interface InsightsRoutesDeps {
  db: Kysely<DB>;
  clock: Clock;
  business: BusinessReads;
}

const text = (max: number) => z.string().max(max);
const rangeQuery = z.object({ from: instant.optional(), to: instant.optional() });

const periodMoney = z.object({
  period: text(10),
  currency: text(3),
  chargesMinor: z.number().int(),
  feesMinor: z.number().int(),
  proceedsMinor: z.number().int(),
});

const dashboardView = z.object({
  from: text(40),
  to: text(40),
  salesByDay: z
    .array(
      z.object({ day: text(10), currency: text(3), orders: z.number().int(), totalMinor: z.number().int() }),
    )
    .max(5_000),
  ordersByStatus: z.array(z.object({ status: text(40), count: z.number().int() })).max(100),
  /** Null when the caller may not see finances. */
  finances: z.array(periodMoney).max(5_000).nullable(),
});

const inventoryView = z.object({
  marketplace: text(64),
  sku: text(200),
  asin: text(20).nullable(),
  productName: text(500).nullable(),
  fulfillable: z.number().int(),
  inbound: z.number().int(),
  reserved: z.number().int(),
  unfulfillable: z.number().int(),
  total: z.number().int(),
  lowStock: z.boolean(),
  lastUpdatedAt: text(40),
});

const priceView = z.object({
  marketplace: text(64),
  asin: text(20),
  sku: text(200).nullable(),
  currency: text(3),
  ownPriceMinor: z.number().int().nullable(),
  buyBoxPriceMinor: z.number().int().nullable(),
  lowestPriceMinor: z.number().int().nullable(),
  offerCount: z.number().int().nullable(),
  buyBox: z.enum(["won", "lost", "unknown"]),
  aboveLowestMinor: z.number().int().nullable(),
  asOf: text(40),
});

const financeView = z.object({
  from: text(40),
  to: text(40),
  period: z.enum(["day", "month"]),
  periods: z.array(periodMoney).max(5_000),
  breakdown: z
    .array(
      z.object({
        period: text(10),
        eventType: text(64),
        feeType: text(64).nullable(),
        currency: text(3),
        totalMinor: z.number().int(),
        count: z.number().int(),
      }),
    )
    .max(50_000),
});

const healthView = z.object({
  streams: z
    .array(
      z.object({
        stream: text(100),
        lastSuccessAt: text(40).nullable(),
        lagSeconds: z.number().int().nullable(),
        lastErrorCode: text(64).nullable(),
        lastErrorAt: text(40).nullable(),
        throttledCount: z.number().int(),
      }),
    )
    .max(1_000),
});

const boolish = z.enum(["true", "false"]).transform((v) => v === "true");

/** Dashboard, inventory, pricing, finances and sync health: read through the access layer's BusinessReads. */
export function insightsRoutes(deps: InsightsRoutesDeps): FastifyPluginAsyncZod {
  const { db, business, clock } = deps;
  return async (app) => {
    app.get(
      "/api/accounts/:accountId/dashboard",
      {
        config: { permission: "orders:read" },
        schema: {
          summary: "Sales by day, orders by status and (with finances:read) fees and proceeds for a period",
          tags: ["insights"],
          params: accountParams,
          querystring: rangeQuery,
          response: { 200: dashboardView },
        },
      },
      async (request) => {
        const range = resolveRange(request.query, clock.now(), 30);
        const dashboard = await business.dashboard(
          db,
          requireActor(request),
          request.params.accountId,
          range,
        );
        return { ...range, ...dashboard };
      },
    );

    app.get(
      "/api/accounts/:accountId/inventory",
      {
        config: { permission: "inventory:read" },
        schema: {
          summary: "Inventory by SKU, lowest fulfillable first, with a low-stock flag",
          tags: ["insights"],
          params: accountParams,
          querystring: z.object({
            lowStockBelow: z.coerce.number().int().min(0).max(1_000_000).default(10),
            lowOnly: boolish.default(false),
            limit: pageLimit(500, 200),
          }),
          response: { 200: z.object({ items: z.array(inventoryView).max(500) }) },
        },
      },
      async (request) => ({
        items: await business.inventory(db, requireActor(request), request.params.accountId, request.query),
      }),
    );

    app.get(
      "/api/accounts/:accountId/pricing",
      {
        config: { permission: "pricing:read" },
        schema: {
          summary: "Competitive position per ASIN: buy box won or lost, our price against the lowest offer",
          tags: ["insights"],
          params: accountParams,
          querystring: z.object({ limit: pageLimit(500, 200) }),
          response: { 200: z.object({ prices: z.array(priceView).max(500) }) },
        },
      },
      async (request) => ({
        prices: await business.pricing(db, requireActor(request), request.params.accountId, request.query),
      }),
    );

    app.get(
      "/api/accounts/:accountId/finances",
      {
        config: { permission: "finances:read" },
        schema: {
          summary: "Fees and proceeds by day or month, with the breakdown by event and fee type",
          tags: ["insights"],
          params: accountParams,
          querystring: rangeQuery.extend({ period: z.enum(["day", "month"]).default("month") }),
          response: { 200: financeView },
        },
      },
      async (request) => {
        const period = request.query.period;
        const range = resolveRange(request.query, clock.now(), period === "day" ? 30 : 365);
        const report = await business.finances(db, requireActor(request), request.params.accountId, {
          ...range,
          period,
        });
        return { ...range, period, ...report };
      },
    );

    app.get(
      "/api/accounts/:accountId/sync-health",
      {
        config: { permission: "orders:read" },
        schema: {
          summary: "Per sync stream: last success, lag, last error and throttling",
          tags: ["insights"],
          params: accountParams,
          response: { 200: healthView },
        },
      },
      async (request) => ({
        streams: await business.syncHealth(db, requireActor(request), request.params.accountId),
      }),
    );
  };
}
