import { afterEach, describe, expect, it } from "vitest";
import type { SellerProfile } from "../../sandbox/data-generator.js";
import { confirmShipment } from "../../src/amazon/operations/orders.js";
import { recordAuthorization } from "../../src/connect/connect-repo.js";
import { getCheckpoint } from "../../src/sync/sync-checkpoints-repo.js";
import type { StreamSummary, SyncSummary } from "../../src/sync/sync-engine.js";
import { ALL_FEATURES } from "../support/spapi.js";
import { STORES } from "../support/stores.js";
import { openSyncRig, orderFingerprint, type SyncRig } from "../support/sync-rig.js";

const open: SyncRig[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.dispose();
});

const stream = (s: SyncSummary, name: StreamSummary["stream"]) => {
  const found = s.streams.find((x) => x.stream === name);
  if (!found) throw new Error(`no ${name} in summary`);
  return found;
};

/** The sandbox's own truth for a seller: how many orders and order lines it holds. */
function truth(r: SyncRig, sellerIndex = 0) {
  const data = r.rig.h.running.sandbox.context.data;
  const seller = data.sellers[sellerIndex] as SellerProfile;
  let items = 0;
  let openFbm = 0;
  const count = data.countFor(seller);
  for (let j = 0; j < count; j++) {
    const o = data.orderOf(seller, j);
    items += o.items.length;
    if (o.fulfilledBy === "MERCHANT" && (o.status === "UNSHIPPED" || o.status === "PARTIALLY_SHIPPED"))
      openFbm++;
  }
  return { orders: count, items, openFbm };
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`sync engine on ${target.name}`, () => {
    it("backfills from reports, then syncs incrementally; a second run stores nothing new", async () => {
      const r = await openSyncRig(target.name, { sandbox: { orders: 3_000, sellers: 1, seed: 21 } });
      open.push(r);
      const account = await r.connect(0);
      const engine = r.engine();
      const want = truth(r);
      const progress: string[] = [];
      const first = await engine.run(account, { onProgress: (p) => progress.push(`${p.stream}:${p.phase}`) });
      expect(first.ok).toBe(true);
      const orders = stream(first, "orders");
      expect(orders).toMatchObject({ status: "ok", inserted: want.orders, badRows: 0 });
      expect(await orderFingerprint(r.db, account).then((f) => [f.orders.length, f.items.length])).toEqual([
        want.orders,
        want.items,
      ]);
      // Reports carried the history; searchOrders only fetched the open FBM orders' details (and the tail).
      const created = r.rig.events.filter(
        (e) => e.target?.operation === "createReport" && e.outcome === "success",
      );
      expect(created).toHaveLength(Math.ceil(730 / 30));
      expect(r.rig.requests("/orders/2026-01-01/orders")).toBeLessThanOrEqual(
        Math.ceil(want.openFbm / 100) + 3,
      );
      expect(progress).toContain("orders:backfill");
      const pii = await r.db.selectFrom("order_buyer_pii").select("order_id").execute();
      expect(pii.length).toBe(want.openFbm);
      for (const name of ["inventory", "pricing", "finances"] as const) {
        expect(stream(first, name)).toMatchObject({ status: "ok" });
        expect(stream(first, name).fetched).toBeGreaterThan(0);
      }
      expect(stream(first, "finances").inserted).toBeGreaterThan(0);

      // Nothing changed at Amazon: the next run inserts and updates nothing.
      r.rig.advance(10 * 60_000);
      const second = await engine.run(account);
      expect(second.ok).toBe(true);
      for (const s of second.streams) expect([s.stream, s.inserted]).toEqual([s.stream, 0]);
      expect(stream(second, "orders").updated).toBe(0);

      // A shipment confirmed at Amazon shows up through the incremental search.
      const unshipped = await r.db
        .selectFrom("orders")
        .innerJoin("order_items", "order_items.order_id", "orders.id")
        .select([
          "orders.id",
          "orders.amazon_order_id",
          "orders.marketplace",
          "order_items.order_item_id",
          "order_items.quantity",
        ])
        .where("orders.account_id", "=", account)
        .where("orders.status", "=", "UNSHIPPED")
        .where("orders.fulfillment_channel", "=", "FBM")
        .where("order_items.order_item_id", "is not", null)
        .executeTakeFirstOrThrow();
      await confirmShipment(r.rig.client, account, {
        orderId: unshipped.amazon_order_id,
        marketplaceId: unshipped.marketplace as string,
        packageReferenceId: "PKG-1",
        carrierCode: "UPS",
        trackingNumber: "1Z999",
        shipDate: r.rig.clock.now().toISOString(),
        orderItems: [{ orderItemId: unshipped.order_item_id as string, quantity: unshipped.quantity }],
      });
      r.rig.advance(5 * 60_000);
      const third = await engine.run(account, { streams: ["orders"] });
      expect(stream(third, "orders")).toMatchObject({ status: "ok", inserted: 0 });
      expect(stream(third, "orders").updated).toBeGreaterThanOrEqual(1);
      const shipped = await r.db
        .selectFrom("orders")
        .select("status")
        .where("id", "=", unshipped.id)
        .executeTakeFirstOrThrow();
      expect(shipped.status).toBe("SHIPPED");
      expect(
        await r.db.selectFrom("orders").select("id").where("account_id", "=", account).execute(),
      ).toHaveLength(want.orders);
    }, 120_000);

    it("FBM shipping enabled after the backfill: the next sync fetches the open FBM orders' buyer data once", async () => {
      const r = await openSyncRig(target.name, { sandbox: { orders: 1_500, sellers: 1, seed: 34 } });
      open.push(r);
      const without = ALL_FEATURES.filter((f) => f !== "fbm_shipping");
      const account = await r.connect(0, without);
      const engine = r.engine();
      const want = truth(r);
      expect(want.openFbm).toBeGreaterThan(0);
      expect((await engine.run(account)).ok).toBe(true);
      const piiRows = () => r.db.selectFrom("order_buyer_pii").select("order_id").execute();
      expect(await piiRows()).toHaveLength(0);

      // The seller re-authorizes with FBM shipping (what the connect callback records).
      await recordAuthorization(r.db, account, { features: [...ALL_FEATURES] }, r.rig.clock.now());
      r.rig.features.set(account, [...ALL_FEATURES]);
      r.rig.advance(10 * 60_000);
      const searchesBefore = r.rig.requests("/orders/2026-01-01/orders");
      const caughtUp = await engine.run(account, { streams: ["orders"] });
      expect(stream(caughtUp, "orders")).toMatchObject({ status: "ok", inserted: 0 });
      expect(await piiRows()).toHaveLength(want.openFbm);
      const stillFromReports = await r.db
        .selectFrom("orders")
        .select("id")
        .where("account_id", "=", account)
        .where("fulfillment_channel", "=", "FBM")
        .where("status", "in", ["UNSHIPPED", "PARTIALLY_SHIPPED"])
        .where("source", "=", "report")
        .execute();
      expect(stillFromReports).toHaveLength(0);
      const catchUpSearches = r.rig.requests("/orders/2026-01-01/orders") - searchesBefore;
      // The incremental search, plus the details pages (100 open orders a page).
      expect(catchUpSearches).toBeGreaterThanOrEqual(1 + Math.ceil(want.openFbm / 100));

      // Once caught up, a sync asks nothing more than its incremental search, even with an order that looks
      // open here without buyer data (Amazon no longer lists it as open): the catch-up ran for this grant.
      const [stale] = await r.db
        .updateTable("orders")
        .set({ status: "UNSHIPPED", has_buyer_data: 0, has_recipient_data: 0 })
        .where("account_id", "=", account)
        .where("fulfillment_channel", "=", "FBM")
        .where("status", "=", "SHIPPED")
        .where("purchase_date", ">", new Date(r.rig.clock.now().getTime() - 10 * 86_400_000).toISOString())
        .execute();
      expect(Number(stale?.numUpdatedRows ?? 0)).toBeGreaterThan(0);
      for (let i = 0; i < 2; i++) {
        r.rig.advance(10 * 60_000);
        const before = r.rig.requests("/orders/2026-01-01/orders");
        expect((await engine.run(account, { streams: ["orders"] })).ok).toBe(true);
        expect(r.rig.requests("/orders/2026-01-01/orders") - before).toBe(1);
      }
    }, 120_000);

    it("waits out throttling the client gave up on, and counts it", async () => {
      const r = await openSyncRig(target.name, { sandbox: { orders: 400, sellers: 1, seed: 5 } });
      open.push(r);
      const account = await r.connect(0);
      await r.rig.h.admin({ throttles: 8 });
      const summary = await r.engine().run(account, { streams: ["inventory", "finances"] });
      expect(summary.ok).toBe(true);
      const throttled = summary.streams.reduce((n, s) => n + s.throttled, 0);
      expect(throttled).toBeGreaterThanOrEqual(1);
      expect(stream(summary, "inventory").fetched).toBeGreaterThan(0);
      const checkpoint = await getCheckpoint(r.db, account, "inventory");
      expect(checkpoint?.throttledCount).toBe(stream(summary, "inventory").throttled);
    }, 60_000);

    it("stops the account's run when the seller revoked the authorization", async () => {
      const r = await openSyncRig(target.name, { sandbox: { orders: 400, sellers: 1, seed: 5 } });
      open.push(r);
      const account = await r.connect(0);
      await r.rig.h.admin({ revoke: r.rig.sellingPartnerId(0) });
      const summary = await r.engine().run(account);
      expect(summary).toMatchObject({ ok: false, errorCode: "SPAPI_AUTHORIZATION_REVOKED" });
      expect(stream(summary, "orders")).toMatchObject({
        status: "failed",
        errorCode: "SPAPI_AUTHORIZATION_REVOKED",
      });
      for (const name of ["inventory", "pricing", "finances"] as const) {
        expect(stream(summary, name)).toMatchObject({
          status: "skipped",
          skippedReason: "SPAPI_AUTHORIZATION_REVOKED",
        });
      }
      const row = await r.db
        .selectFrom("seller_accounts")
        .select("status")
        .where("id", "=", account)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe("authorization_revoked");
      expect((await getCheckpoint(r.db, account, "orders"))?.lastErrorCode).toBe(
        "SPAPI_AUTHORIZATION_REVOKED",
      );
      // The next run does not call Amazon at all.
      const before = r.rig.requests();
      const again = await r.engine().run(account);
      expect(again.errorCode).toBe("SPAPI_AUTHORIZATION_REVOKED");
      expect(r.rig.requests()).toBe(before);
    }, 60_000);

    it("a crash or an abort mid-backfill, then a rerun, ends exactly like an uninterrupted run", async () => {
      const r = await openSyncRig(target.name, { sandbox: { orders: 2_000, sellers: 1, seed: 9 } });
      open.push(r);
      const want = truth(r);
      const reference = await r.connect(0);
      const clean = await r.engine().run(reference, { streams: ["orders"] });
      expect(clean.ok).toBe(true);
      const expected = await orderFingerprint(r.db, reference);
      expect(expected.orders).toHaveLength(want.orders);

      // 1. The process "dies" after 40 SP-API calls: every later call throws.
      const crashed = await r.connect(0);
      let calls = 0;
      const dying = {
        call: <T>(...args: Parameters<typeof r.rig.client.call<T>>) => {
          if (++calls > 40) return Promise.reject(new Error("process died"));
          return r.rig.client.call<T>(...args);
        },
      };
      const broken = await r.engine({ client: dying }).run(crashed, { streams: ["orders"] });
      expect(stream(broken, "orders")).toMatchObject({ status: "failed", errorCode: "INTERNAL" });
      const partial = await orderFingerprint(r.db, crashed);
      expect(partial.orders.length).toBeGreaterThan(0);
      expect(partial.orders.length).toBeLessThan(want.orders);
      const reportsBefore = r.rig.requests("/reports/2021-06-30/reports");
      const resumed = await r.engine().run(crashed, { streams: ["orders"] });
      expect(resumed.ok).toBe(true);
      expect(await orderFingerprint(r.db, crashed)).toEqual(expected);
      // Finished windows were not asked for or read again; only the missing orders were inserted.
      expect(r.rig.requests("/reports/2021-06-30/reports") - reportsBefore).toBeLessThan(reportsBefore);
      expect(stream(resumed, "orders").fetched).toBeLessThan(want.orders);
      expect(stream(resumed, "orders").inserted).toBe(want.orders - partial.orders.length);

      // 2. Stopped through the signal once half the windows are in.
      const aborted = await r.connect(0);
      const controller = new AbortController();
      const stopped = await r.engine().run(aborted, {
        streams: ["orders"],
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === "backfill" && p.total !== undefined && p.done >= p.total / 2) controller.abort();
        },
      });
      expect(stopped).toMatchObject({ ok: false, errorCode: "SYNC_ABORTED" });
      expect((await orderFingerprint(r.db, aborted)).orders.length).toBeLessThan(want.orders);
      const rerun = await r.engine().run(aborted, { streams: ["orders"] });
      expect(rerun.ok).toBe(true);
      expect(await orderFingerprint(r.db, aborted)).toEqual(expected);
    }, 120_000);
  });
}
