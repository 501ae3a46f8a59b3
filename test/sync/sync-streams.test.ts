import { afterEach, describe, expect, it } from "vitest";
import type { SellerProfile } from "../../sandbox/data-generator.js";
import type { SpApiCaller } from "../../src/amazon/operation-spec.js";
import { AppError } from "../../src/platform/errors.js";
import { BACKFILL_STREAM } from "../../src/sync/orders-backfill.js";
import { ORDERS_STREAM } from "../../src/sync/orders-incremental.js";
import { getCheckpoint } from "../../src/sync/sync-checkpoints-repo.js";
import { DEFAULT_TUNING, writeCursor } from "../../src/sync/sync-context.js";
import type { SyncSummary } from "../../src/sync/sync-engine.js";
import { STORES } from "../support/stores.js";
import { openSyncRig, orderFingerprint, type SyncRig } from "../support/sync-rig.js";

const open: SyncRig[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.dispose();
});

const DAY = 86_400_000;
const stream = (s: SyncSummary, name: string) => s.streams.find((x) => x.stream === name);

/** A client whose calls of one operation fail the way a broken Amazon answer does; the rest is the real one. */
function failing(real: SpApiCaller, operation: string, after = 0): SpApiCaller {
  let seen = 0;
  return {
    call(accountId, request, options) {
      if (request.operation === operation && ++seen > after) {
        return Promise.reject(new AppError("SPAPI_BAD_RESPONSE", undefined, { details: { operation } }));
      }
      return real.call(accountId, request, options);
    },
  };
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`sync streams on ${target.name}`, () => {
    it("follows incremental pages with a checkpoint per page; a failure mid-way resumes from the page token", async () => {
      const r = await openSyncRig(target.name, { sandbox: { orders: 6_000, sellers: 1, seed: 4 } });
      open.push(r);
      const account = await r.connect(0, ["orders_sales"]);
      const now = r.rig.clock.now();
      // A finished backfill 90 days ago: the incremental search covers those 90 days.
      const after = new Date(now.getTime() - 90 * DAY).toISOString();
      await writeCursor(
        r.db,
        account,
        BACKFILL_STREAM,
        { id: "old", from: after, until: after, windowMs: DAY, windows: 0, done: true },
        now,
      );
      await writeCursor(r.db, account, ORDERS_STREAM, { after }, now);
      const data = r.rig.h.running.sandbox.context.data;
      const seller = data.sellers[0] as SellerProfile;
      const from = Date.parse(after) - DEFAULT_TUNING.overlapMs;
      const before = now.getTime() - DEFAULT_TUNING.endLagMs;
      let want = 0;
      for (let j = 0; j < data.countFor(seller); j++) {
        const at = data.orderOf(seller, j).lastUpdatedMs;
        if (at >= from && at < before) want++;
      }
      expect(want).toBeGreaterThan(300);

      const broken = await r.engine({ client: failing(r.rig.client, "searchOrders", 2) }).run(account);
      expect(stream(broken, "orders")).toMatchObject({ status: "failed", errorCode: "SPAPI_BAD_RESPONSE" });
      expect(stream(broken, "orders")?.fetched).toBe(200);
      const checkpoint = await getCheckpoint(r.db, account, ORDERS_STREAM);
      expect(checkpoint?.lastErrorCode).toBe("SPAPI_BAD_RESPONSE");
      expect(JSON.parse(checkpoint?.cursor ?? "{}")).toMatchObject({ after, token: expect.any(String) });

      const resumed = await r.engine().run(account);
      expect(resumed.ok).toBe(true);
      expect(stream(resumed, "orders")?.fetched).toBe(want - 200);
      expect((await orderFingerprint(r.db, account)).orders).toHaveLength(want);
      const settled = JSON.parse((await getCheckpoint(r.db, account, ORDERS_STREAM))?.cursor ?? "{}");
      expect(Date.parse(settled.after)).toBeGreaterThan(now.getTime() - 3 * 60_000);
      expect(settled.token).toBeUndefined();
      // Orders & sales alone: no buyer data asked for, the other streams not run.
      expect(await r.db.selectFrom("order_buyer_pii").selectAll().execute()).toEqual([]);
      const datasets = r.rig.events
        .filter((e) => e.target?.operation === "searchOrders")
        .map((e) => e.target?.dataElements);
      expect(datasets.every((d) => !d?.includes("BUYER") && !d?.includes("RECIPIENT"))).toBe(true);
      for (const name of ["inventory", "pricing", "finances"]) {
        expect(stream(resumed, name)).toMatchObject({ status: "skipped", skippedReason: "FEATURE_DISABLED" });
      }
    }, 60_000);

    it("a failing stream keeps its cursor and costs the other streams nothing", async () => {
      const r = await openSyncRig(target.name, { sandbox: { orders: 800, sellers: 1, seed: 8 } });
      open.push(r);
      const account = await r.connect(0, ["inventory", "pricing", "finances"]);
      const first = await r.engine({ client: failing(r.rig.client, "listFinancialEvents", 3) }).run(account);
      expect(first.ok).toBe(false);
      expect(first.errorCode).toBeUndefined();
      expect(stream(first, "inventory")).toMatchObject({ status: "ok" });
      expect(stream(first, "pricing")).toMatchObject({ status: "ok" });
      expect(stream(first, "finances")).toMatchObject({ status: "failed", errorCode: "SPAPI_BAD_RESPONSE" });
      const storedEvents = stream(first, "finances")?.inserted ?? 0;
      expect(storedEvents).toBeGreaterThan(0);
      expect(stream(first, "orders")).toMatchObject({ status: "skipped", skippedReason: "FEATURE_DISABLED" });
      const inventory = await r.db.selectFrom("inventory_summaries").selectAll().execute();
      expect(inventory.length).toBe(stream(first, "inventory")?.fetched);
      const prices = await r.db.selectFrom("prices").selectAll().execute();
      expect(prices.length).toBeGreaterThan(0);
      expect((await getCheckpoint(r.db, account, "finances"))?.lastErrorCode).toBe("SPAPI_BAD_RESPONSE");

      const second = await r.engine().run(account, { streams: ["finances"] });
      expect(second.ok).toBe(true);
      // The three pages stored before the failure were not fetched again.
      const total = await r.db
        .selectFrom("financial_events")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      expect(Number(total.n)).toBe(storedEvents + (stream(second, "finances")?.inserted ?? 0));
      expect(stream(second, "finances")?.unchanged).toBe(0);
      expect((await getCheckpoint(r.db, account, "finances"))?.lastErrorCode).toBeNull();
    }, 60_000);
  });
}
