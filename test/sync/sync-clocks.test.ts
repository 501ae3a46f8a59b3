import { afterEach, describe, expect, it } from "vitest";
import type { SpApiCaller } from "../../src/amazon/operation-spec.js";
import { ManualClock, MS } from "../../src/platform/clock.js";
import { AppError } from "../../src/platform/errors.js";
import { BACKFILL_STREAM } from "../../src/sync/orders-backfill.js";
import { getCheckpoint, listCheckpoints } from "../../src/sync/sync-checkpoints-repo.js";
import { DEFAULT_TUNING } from "../../src/sync/sync-context.js";
import { STREAMS } from "../../src/sync/sync-engine.js";
import { STORES } from "../support/stores.js";
import { openSyncRig, type SyncRig } from "../support/sync-rig.js";

/**
 * Demo mode runs Amazon's time faster than ours. The engine stamps what it records with our clock and asks
 * Amazon about Amazon's time: here Amazon's clock (the rig's, which the sandbox follows) runs 5 days ahead.
 */
const open: SyncRig[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.dispose();
});

const AHEAD_MS = 5 * MS.day;

interface Sent {
  operation: string;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
}

/** The real client; what each call asked Amazon for is noted, and one operation can be made to fail. */
function recording(real: SpApiCaller, sent: Sent[], failing?: string): SpApiCaller {
  return {
    call(accountId, request, options) {
      sent.push({
        operation: request.operation,
        query: (request.query ?? {}) as Record<string, unknown>,
        body: (request.body ?? {}) as Record<string, unknown>,
      });
      if (request.operation === failing) return Promise.reject(new AppError("SPAPI_BAD_RESPONSE"));
      return real.call(accountId, request, options);
    },
  };
}

const times = (sent: Sent[], operation: string, key: string, from: "query" | "body" = "query") =>
  sent.filter((s) => s.operation === operation && typeof s[from][key] === "string").map((s) => s[from][key]);

for (const target of STORES) {
  describe.skipIf(target.skip)(`sync clocks on ${target.name}`, () => {
    it("stamps checkpoints and rows with our clock while its searches and reports follow Amazon's", async () => {
      const r = await openSyncRig(target.name, { sandbox: { orders: 500, sellers: 1, seed: 33 } });
      open.push(r);
      const account = await r.connect(0);
      const wall = new ManualClock(new Date(r.rig.clock.now().getTime() - AHEAD_MS));
      const ours = wall.now().toISOString();
      const amazonStart = r.rig.clock.now().getTime();
      const lag = DEFAULT_TUNING.endLagMs;
      const sent: Sent[] = [];

      const first = await r.engine({ client: recording(r.rig.client, sent), clock: wall }).run(account);
      expect(first.ok).toBe(true);
      expect([first.startedAt, first.finishedAt]).toEqual([ours, ours]);
      // The Amazon clock moved with report polling and rate-limit waits; ours stood still.
      const amazonEnd = r.rig.clock.now().getTime();
      expect(amazonEnd).toBeGreaterThan(amazonStart);

      // Bookkeeping: every checkpoint, the Sync health page's "Last success", and the stored rows.
      const checkpoints = await listCheckpoints(r.db, account);
      for (const name of [...STREAMS, BACKFILL_STREAM]) {
        expect(checkpoints.find((c) => c.stream === name)?.lastSuccessAt, name).toBe(ours);
      }
      expect(new Set(checkpoints.map((c) => c.updatedAt))).toEqual(new Set([ours]));
      const orders = await r.db
        .selectFrom("orders")
        .select(["created_at", "updated_at"])
        .where("account_id", "=", account)
        .execute();
      expect(orders.length).toBeGreaterThan(0);
      expect(new Set(orders.flatMap((o) => [o.created_at, o.updated_at]))).toEqual(new Set([ours]));
      const prices = await r.db
        .selectFrom("prices")
        .select(["as_of", "synced_at"])
        .where("account_id", "=", account)
        .execute();
      expect(prices.length).toBeGreaterThan(0);
      expect(new Set(prices.flatMap((p) => [p.as_of, p.synced_at]))).toEqual(new Set([ours]));

      // Amazon's side: the backfill's newest report ends 2.5 minutes before Amazon's now, not ours.
      const plan = JSON.parse((await getCheckpoint(r.db, account, BACKFILL_STREAM))?.cursor ?? "{}");
      const until = new Date(amazonStart - lag).toISOString();
      expect(plan.until).toBe(until);
      const reportEnds = times(sent, "createReport", "dataEndTime", "body") as string[];
      expect(reportEnds.length).toBeGreaterThan(0);
      expect([...reportEnds].sort().at(-1)).toBe(until);
      // The incremental search and the finances window end at least 2 minutes in Amazon's past, and in its
      // present rather than ours (5 days back).
      for (const [operation, key] of [
        ["searchOrders", "lastUpdatedBefore"],
        ["listFinancialEvents", "PostedBefore"],
      ] as const) {
        const ends = times(sent, operation, key).map((t) => Date.parse(t as string));
        expect(ends.length, operation).toBeGreaterThan(0);
        for (const end of ends) {
          expect(end, operation).toBeLessThanOrEqual(amazonEnd - 2 * MS.minute);
          expect(end, operation).toBeGreaterThanOrEqual(amazonStart - lag);
        }
      }

      // A later run: an hour of Amazon's time, a minute of ours. The incremental search ends where Amazon's
      // clock says; the finances failure and the inventory's `since` are stamped accordingly.
      r.rig.advance(MS.hour);
      wall.advance(MS.minute);
      const later = wall.now().toISOString();
      const amazonNow = r.rig.clock.now().getTime();
      sent.length = 0;
      const second = await r
        .engine({ client: recording(r.rig.client, sent, "listFinancialEvents"), clock: wall })
        .run(account);
      expect(second.streams.find((s) => s.stream === "finances")).toMatchObject({
        status: "failed",
        errorCode: "SPAPI_BAD_RESPONSE",
      });
      expect(times(sent, "searchOrders", "lastUpdatedBefore")[0]).toBe(
        new Date(amazonNow - lag).toISOString(),
      );
      // Inventory asks for changes since the first run began in Amazon's time (minus the overlap).
      const since = times(sent, "getInventorySummaries", "startDateTime").map((t) => Date.parse(t as string));
      expect(since.length).toBeGreaterThan(0);
      for (const s of since) {
        expect(s).toBeGreaterThanOrEqual(amazonStart - DEFAULT_TUNING.overlapMs);
        expect(s).toBeLessThan(amazonNow);
      }
      const finances = await getCheckpoint(r.db, account, "finances");
      expect(finances).toMatchObject({ lastErrorCode: "SPAPI_BAD_RESPONSE", lastErrorAt: later });
      expect((await getCheckpoint(r.db, account, "orders"))?.lastSuccessAt).toBe(later);
      expect((await getCheckpoint(r.db, account, "inventory"))?.lastSuccessAt).toBe(later);
    });
  });
}
