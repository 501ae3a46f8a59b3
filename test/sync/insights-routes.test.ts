// Dashboard, inventory, pricing, finances and sync health on both stores through the real app, plus a
// fast-check fuzz of every query parameter of the read routes: bounded answers, never a 500.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MS } from "../../src/platform/clock.js";
import { insertFinancialEvents } from "../../src/sync/financial-events-repo.js";
import { upsertInventorySummaries } from "../../src/sync/inventory-repo.js";
import { upsertOrders } from "../../src/sync/orders-repo.js";
import { upsertPrices } from "../../src/sync/prices-repo.js";
import { addThrottled, recordSyncError, saveCheckpoint } from "../../src/sync/sync-checkpoints-repo.js";
import { type AuthWorld, type Browser, openAuthWorld } from "../support/auth-world.js";
import { CANARY, order, pii } from "../support/orders.js";
import { STORES } from "../support/stores.js";

const inv = (sku: string, fulfillable: number) => ({
  marketplace: "ATVPDKIKX0DER",
  sku,
  asin: "B000000001",
  fnSku: null,
  productName: `Product ${sku}`,
  condition: "NewItem",
  fulfillable,
  inbound: 0,
  reserved: 0,
  unfulfillable: 0,
  total: fulfillable,
  lastUpdatedAt: "2026-11-27T00:00:00.000Z",
});

const price = (asin: string, own: number | null, lowest: number | null, winner: boolean | null) => ({
  marketplace: "ATVPDKIKX0DER",
  asin,
  sku: `SKU-${asin}`,
  currency: "USD",
  ownPriceMinor: own,
  buyBoxPriceMinor: lowest,
  lowestPriceMinor: lowest,
  isBuyBoxWinner: winner,
  offerCount: 3,
  asOf: "2026-11-27T00:00:00.000Z",
});

const fee = (day: string, feeType: string, amountMinor: number) => ({
  eventType: "Shipment",
  postedDate: `${day}T08:00:00.000Z`,
  amazonOrderId: "111-0000001-0000001",
  sku: "SKU-1",
  feeType,
  amountMinor,
  currency: "USD",
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`insights API on ${target.name}`, () => {
    let w: AuthWorld;
    const as = {} as Record<"owner" | "analyst" | "viewer" | "fulfillment", Browser>;
    let base: string;

    beforeAll(async () => {
      w = await openAuthWorld(target.name);
      for (const role of ["owner", "analyst", "viewer", "fulfillment"] as const) {
        as[role] = await w.signIn(await w.person(role, w.orgA, w.a1));
      }
      const now = w.t.clock.now();
      const db = w.t.db;
      await upsertOrders(
        db,
        w.t.fields,
        w.a1,
        [
          order({
            amazonOrderId: "111-0000001-0000001",
            purchaseDate: "2026-11-20T10:00:00.000Z",
            pii: pii(),
          }),
          order({ amazonOrderId: "111-0000002-0000001", purchaseDate: "2026-11-20T12:00:00.000Z" }),
          order({
            amazonOrderId: "111-0000003-0000001",
            purchaseDate: "2026-11-21T12:00:00.000Z",
            status: "SHIPPED",
            fulfillmentChannel: "FBA",
          }),
          order({
            amazonOrderId: "111-0000004-0000001",
            purchaseDate: "2026-11-21T13:00:00.000Z",
            status: "CANCELLED",
          }),
        ],
        { now, shippingEnabled: true },
      );
      await upsertInventorySummaries(db, w.a1, [inv("SKU-LOW", 2), inv("SKU-OK", 50), inv("SKU-ZERO", 0)], {
        now,
      });
      await upsertPrices(
        db,
        w.a1,
        [
          price("B0000000A1", 1999, 1899, false),
          price("B0000000A2", 1500, 1500, true),
          price("B0000000A3", null, 900, null),
        ],
        { now },
      );
      await insertFinancialEvents(
        db,
        w.a1,
        [
          fee("2026-11-20", "Principal", 2812),
          fee("2026-11-20", "Commission", -422),
          fee("2026-10-02", "Principal", 1000),
        ],
        { now },
      );
      await saveCheckpoint(db, {
        accountId: w.a1,
        stream: "orders",
        cursor: "c1",
        now: new Date(now.getTime() - 10 * MS.minute),
      });
      await saveCheckpoint(db, { accountId: w.a1, stream: "orders.window.3", cursor: "w3", now });
      await recordSyncError(db, { accountId: w.a1, stream: "inventory", code: "SPAPI_THROTTLED", now });
      await addThrottled(db, { accountId: w.a1, stream: "inventory", count: 3, now });
      base = `/api/accounts/${w.a1}`;
    }, 120_000);
    afterAll(async () => {
      await w?.t.close();
    });

    const get = (url: string, who: Browser) => w.call({ method: "GET", url, as: who });

    it("dashboard: sales by day without cancelled orders, orders by status, finances only for finances:read", async () => {
      const res = await get(`${base}/dashboard?from=2026-11-01&to=2026-12-01`, as.analyst);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.salesByDay).toEqual([
        { day: "2026-11-20", currency: "USD", orders: 2, totalMinor: 2812 },
        { day: "2026-11-21", currency: "USD", orders: 1, totalMinor: 1406 },
      ]);
      expect(body.ordersByStatus).toEqual([
        { status: "CANCELLED", count: 1 },
        { status: "SHIPPED", count: 1 },
        { status: "UNSHIPPED", count: 2 },
      ]);
      expect(body.finances).toEqual([
        { period: "2026-11-20", currency: "USD", chargesMinor: 2812, feesMinor: 422, proceedsMinor: 2390 },
      ]);
      expect(res.body).not.toContain(CANARY);
      const viewer = (await get(`${base}/dashboard?from=2026-11-01&to=2026-12-01`, as.viewer)).json();
      expect(viewer.finances).toBeNull();
      expect(viewer.salesByDay).toHaveLength(2);
      // Default: the last 30 days up to today (the test clock is 2026-11-28 and moves with sign-ins).
      const def = (await get(`${base}/dashboard`, as.viewer)).json();
      expect(def.salesByDay).toHaveLength(2);
      for (const q of ["from=2026-12-01&to=2026-11-01", "from=2020-01-01&to=2026-01-01"]) {
        const bad = await get(`${base}/dashboard?${q}`, as.viewer);
        expect(bad.statusCode, q).toBe(400);
        expect(bad.json().error.code).toBe("VALIDATION_FAILED");
      }
    });

    it("inventory flags low stock; pricing shows the buy box and our distance to the lowest offer", async () => {
      const items = (await get(`${base}/inventory?lowStockBelow=5`, as.fulfillment)).json().items;
      expect(items.map((i: { sku: string; lowStock: boolean }) => [i.sku, i.lowStock])).toEqual([
        ["SKU-ZERO", true],
        ["SKU-LOW", true],
        ["SKU-OK", false],
      ]);
      const low = (await get(`${base}/inventory?lowStockBelow=1&lowOnly=true`, as.viewer)).json().items;
      expect(low.map((i: { sku: string }) => i.sku)).toEqual(["SKU-ZERO"]);

      const prices = (await get(`${base}/pricing`, as.analyst)).json().prices;
      expect(
        prices.map((p: { asin: string; buyBox: string; aboveLowestMinor: number | null }) => [
          p.asin,
          p.buyBox,
          p.aboveLowestMinor,
        ]),
      ).toEqual([
        ["B0000000A1", "lost", 100],
        ["B0000000A2", "won", 0],
        ["B0000000A3", "unknown", null],
      ]);
      expect((await get(`${base}/pricing`, as.fulfillment)).statusCode).toBe(403);
    });

    it("finances by month and by day; refused to roles without finances:read", async () => {
      const month = (await get(`${base}/finances?from=2026-01-01&to=2027-01-01`, as.analyst)).json();
      expect(month.period).toBe("month");
      expect(month.periods).toEqual([
        { period: "2026-10", currency: "USD", chargesMinor: 1000, feesMinor: 0, proceedsMinor: 1000 },
        { period: "2026-11", currency: "USD", chargesMinor: 2812, feesMinor: 422, proceedsMinor: 2390 },
      ]);
      expect(month.breakdown).toHaveLength(3);
      const day = (await get(`${base}/finances?period=day&from=2026-11-01&to=2026-12-01`, as.owner)).json();
      expect(day.periods.map((p: { period: string }) => p.period)).toEqual(["2026-11-20"]);
      for (const who of [as.viewer, as.fulfillment]) {
        const res = await get(`${base}/finances`, who);
        expect(res.statusCode).toBe(403);
        expect(res.json().error.code).toBe("FORBIDDEN");
      }
    });

    it("sync health: last success, lag, last error and throttling per stream", async () => {
      const res = await get(`${base}/sync-health`, as.viewer);
      expect(res.statusCode).toBe(200);
      const streams = res.json().streams as Array<Record<string, unknown>>;
      const orders = streams.find((s) => s.stream === "orders");
      const inventory = streams.find((s) => s.stream === "inventory");
      // The engine's internal checkpoints (report windows) are not streams a person watches.
      expect(streams.map((s) => s.stream).sort()).toEqual(["inventory", "orders"]);
      expect(orders?.lastErrorCode).toBeNull();
      expect(orders?.lagSeconds as number).toBeGreaterThanOrEqual(600);
      expect(inventory).toMatchObject({
        lastSuccessAt: null,
        lagSeconds: null,
        lastErrorCode: "SPAPI_THROTTLED",
        throttledCount: 3,
      });
    });

    it("every read is audited with the account, never with buyer data", async () => {
      const rows = await w.t.db
        .selectFrom("audit_entries")
        .select(["action", "target"])
        .where("action", "in", [
          "dashboard.read",
          "inventory.read",
          "pricing.read",
          "finances.read",
          "sync_health.read",
        ])
        .execute();
      expect(new Set(rows.map((r) => r.action)).size).toBe(5);
      expect(rows.every((r) => r.target.includes(w.a1))).toBe(true);
      expect(JSON.stringify(rows)).not.toContain(CANARY);
    });

    it("fuzz: any query string on the read routes is answered 200 or 400, never 500, never buyer data", async () => {
      const paths = ["orders", "fbm-queue", "dashboard", "inventory", "pricing", "finances", "sync-health"];
      const keys = [
        "status",
        "channel",
        "from",
        "to",
        "search",
        "limit",
        "cursor",
        "period",
        "lowStockBelow",
        "lowOnly",
        "x",
      ];
      const value = fc.oneof(
        fc.string({ maxLength: 80 }),
        fc.integer().map(String),
        fc.constantFrom(
          "2026-11-01",
          "2026-11-01T00:00:00Z",
          "FBM",
          "SHIPPED,UNSHIPPED",
          "true",
          "day",
          "-1",
          "1e309",
          "%",
          "\u0000",
        ),
        fc.string({ minLength: 300, maxLength: 600 }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...paths),
          fc.array(fc.tuple(fc.constantFrom(...keys), value), { maxLength: 5 }),
          async (path, params) => {
            const qs = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
            const res = await get(`${base}/${path}?${qs}`, as.owner);
            expect([200, 400], `${path}?${qs} -> ${res.body.slice(0, 200)}`).toContain(res.statusCode);
            expect(res.body).not.toContain(CANARY);
            expect(res.body).not.toMatch(/stack|SELECT |sqlite|postgres/i);
          },
        ),
        { numRuns: target.name === "sqlite" ? 300 : 120 },
      );
    });
  });
}
