import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { openTestStore, STORES, type TestStore } from "../../test/support/stores.js";
import { type Database, openPostgres, openSqlite } from "../db/database.js";
import { migrateToLatest } from "../db/migrate.js";
import { ManualClock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { timerSleep } from "./abort.js";
import {
  BURST_ONE_SLACK_MS,
  type BucketStore,
  bucketKey,
  createRateLimiter,
  DEFAULT_MARGIN_MS,
  LATE_SLOT_RETRIES,
  lateSlotLimitMs,
  memoryBucketStore,
  sqlBucketStore,
} from "./rate-limiter.js";
import type { UsagePlan } from "./usage-plans.js";

/**
 * Replays the grant times through Amazon's side of the bargain, a plain token bucket that starts full: every
 * request must find a whole token when it arrives.
 */
function expectWithinBucket(grantsMs: number[], plan: UsagePlan): void {
  const sorted = [...grantsMs].sort((a, b) => a - b);
  let tokens = plan.burst;
  let at = sorted[0] ?? 0;
  for (const [i, g] of sorted.entries()) {
    tokens = Math.min(plan.burst, tokens + ((g - at) * plan.rate) / 1000);
    at = g;
    // Waits are rounded up to whole milliseconds: a slot may sit up to 2 ms closer to the previous one.
    expect(tokens, `grant ${i} at ${g}`).toBeGreaterThanOrEqual(1 - (2 * plan.rate) / 1000 - 1e-9);
    tokens -= 1;
  }
}

/**
 * A limiter whose sleep only records when the caller's slot is (the clock is moved by the test). The safety
 * margin added to delayed slots is a constant shift; it is taken off so the slots themselves are checked.
 */
function recordingLimiter(store: BucketStore, clock: ManualClock, plan: UsagePlan, grants: number[]) {
  const limiter = createRateLimiter({
    store,
    clock,
    sleep: async () => undefined,
    plans: { getOrder: plan },
  });
  return async () => {
    const at = clock.now().getTime();
    const waited = await limiter.acquire("acct-1", "getOrder");
    grants.push(at + Math.max(0, waited - DEFAULT_MARGIN_MS));
  };
}

/** The real store, answering `delayMs` of the clock after it was asked (a queue for the row, a cold pool). */
function answeringLate(store: BucketStore, clock: ManualClock, delayMs: number): BucketStore {
  return {
    ...store,
    async reserve(key, plan, nowMs) {
      const reservation = await store.reserve(key, plan, nowMs);
      clock.advance(delayMs);
      return reservation;
    },
  };
}

/**
 * Five callers reserve at the same instant; the store answers each 10 ms after the previous one, as a row lock
 * queue does. Their slots stay 1 / rate apart from the bucket's time, whatever the queue: counted from the
 * answers instead, each slot slid back by its place in the queue, onto the slots of later reservations.
 */
async function expectSlotsFromTheBucketsTime(store: BucketStore): Promise<void> {
  const clock = new ManualClock();
  const wakes: number[] = [];
  const limiter = createRateLimiter({
    store: answeringLate(store, clock, 10),
    clock,
    sleep: async (ms) => void wakes.push(clock.now().getTime() + ms),
    plans: { getOrder: { rate: 10, burst: 2 } },
  });
  const t0 = clock.now().getTime();
  const waits = await Promise.all(Array.from({ length: 5 }, () => limiter.acquire("acct-1", "getOrder")));
  expect(waits.filter((w) => w === 0)).toHaveLength(2);
  // Slots at 100, 200 and 300 ms of the bucket's time, each plus the margin; none later.
  expect(wakes.map((w) => w - t0).sort((a, b) => a - b)).toEqual(
    [100, 200, 300].map((ms) => ms + DEFAULT_MARGIN_MS),
  );
  // An answer that comes after the slot and its margin, but within the late-slot limit (100 ms at 10/s), goes
  // at once on that slot; one that comes later than that takes a new slot (here the bucket has refilled).
  const lateBy = async (delayMs: number) => {
    // A full bucket, drained by three callers at once: the next slot is 170 ms (+ margin) out.
    clock.advance(10_000);
    await Promise.all(Array.from({ length: 3 }, () => limiter.acquire("acct-1", "getOrder")));
    let reservations = 0;
    const slow = answeringLate(store, clock, delayMs);
    const late = createRateLimiter({
      store: {
        ...slow,
        reserve: (...args) => {
          reservations += 1;
          return slow.reserve(...args);
        },
      },
      clock,
      sleep: async () => undefined,
      plans: { getOrder: { rate: 10, burst: 2 } },
    });
    return { waited: await late.acquire("acct-1", "getOrder"), reservations };
  };
  expect(await lateBy(350)).toEqual({ waited: 0, reservations: 1 });
  expect(await lateBy(5_000)).toEqual({ waited: 0, reservations: 2 });
}

describe("in-process buckets", () => {
  it("never grant more than burst + rate x elapsed, whatever the arrival pattern", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0.05, max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 1, max: 5 })), {
          minLength: 1,
          maxLength: 40,
        }),
        async (rate, burst, arrivals) => {
          const clock = new ManualClock();
          const grants: number[] = [];
          const take = recordingLimiter(memoryBucketStore(), clock, { rate, burst }, grants);
          for (const [gap, callers] of arrivals) {
            clock.advance(gap);
            await Promise.all(Array.from({ length: callers }, take));
          }
          expectWithinBucket(grants, { rate, burst });
        },
      ),
      { numRuns: 60 },
    );
  });

  it("counts a slot from the bucket's time, not from when the store answered", async () => {
    await expectSlotsFromTheBucketsTime(memoryBucketStore());
  });

  it("a caller woken too late for its slot takes a new one instead of joining the crowd", async () => {
    const plan = { rate: 1, burst: 5 };
    // (5 - 1) / 2 tokens at 1/s: 2 s; a stall shorter than that sends on the old slot. A burst-1 bucket
    // tolerates only the slack between its slots.
    expect(lateSlotLimitMs(plan.rate, plan.burst)).toBe(2_000);
    expect(lateSlotLimitMs(0.033, 1)).toBe(BURST_ONE_SLACK_MS);
    /** Our process stalls `stallMs` past every timer; meanwhile another process reserves `crowd` slots. */
    const run = async (stallMs: number, crowd: number, maxWaitMs = 60_000) => {
      const clock = new ManualClock();
      const inner = memoryBucketStore();
      let ours = 0;
      const other = createRateLimiter({
        store: inner,
        clock,
        sleep: async () => undefined,
        plans: { getOrder: plan },
      });
      const limiter = createRateLimiter({
        store: {
          ...inner,
          reserve: (...args) => {
            ours += 1;
            return inner.reserve(...args);
          },
        },
        clock,
        sleep: async (ms) => {
          clock.advance(ms + stallMs);
          for (let i = 0; i < crowd; i++) await other.acquire("acct-1", "getOrder");
        },
        plans: { getOrder: plan },
        maxWaitMs,
      });
      // The other process's queue: ten slots ahead of ours.
      for (let i = 0; i < plan.burst + 10; i++) await other.acquire("acct-1", "getOrder");
      const waited = await limiter.acquire("acct-1", "getOrder");
      return { reservations: ours, waited };
    };
    expect(await run(1_900, 0)).toEqual({ reservations: 1, waited: 11_000 + DEFAULT_MARGIN_MS });
    // 2.5 s late: it reserves again, and the bucket, which nobody else drew on meanwhile, has a token now.
    expect(await run(2_500, 0)).toEqual({ reservations: 2, waited: 11_000 + DEFAULT_MARGIN_MS });
    // The other process goes on during each stall: each new slot is behind the 20 it took meanwhile (18.4 s
    // away), and a process that keeps stalling still sends after LATE_SLOT_RETRIES new slots.
    expect(await run(2_500, 20)).toEqual({
      reservations: 1 + LATE_SLOT_RETRIES,
      waited: 11_100 + 18_500 + 18_500,
    });
    // A new slot beyond the longest wait is given back, and the caller goes on the late one it holds.
    expect(await run(2_500, 20, 20_000)).toEqual({ reservations: 2, waited: 11_100 });
  });

  it("lets the burst through at once, then spaces callers 1 / rate apart", async () => {
    const clock = new ManualClock();
    const grants: number[] = [];
    const take = recordingLimiter(memoryBucketStore(), clock, { rate: 2, burst: 3 }, grants);
    await Promise.all(Array.from({ length: 6 }, take));
    const t0 = clock.now().getTime();
    // Slots 1 / rate apart; each delayed caller also waits the constant safety margin on top.
    expect(grants.map((g) => g - t0)).toEqual([0, 0, 0, 500, 1000, 1500]);
  });

  it("refuses a wait beyond the limit with SPAPI_THROTTLED and gives the slot back", async () => {
    const clock = new ManualClock();
    const store = memoryBucketStore();
    const limiter = createRateLimiter({
      store,
      clock,
      sleep: async () => undefined,
      plans: { searchOrders: { rate: 0.0056, burst: 1 } },
      maxWaitMs: 60_000,
    });
    expect(await limiter.acquire("a", "searchOrders")).toBe(0);
    const err = await limiter.acquire("a", "searchOrders").catch((e: unknown) => e);
    expect((err as AppError).code).toBe("SPAPI_THROTTLED");
    // The refused caller did not keep its reservation: one token's time later, a caller goes at once.
    clock.advance(Math.ceil(1000 / 0.0056) + BURST_ONE_SLACK_MS);
    expect(await limiter.acquire("a", "searchOrders")).toBe(0);
  });

  it("an abort ends a real wait at once, gives the slot back and leaves no timer behind", async () => {
    const clock = new ManualClock();
    const store = memoryBucketStore();
    const plans = { getOrder: { rate: 0.01, burst: 2 } };
    const limiter = createRateLimiter({ store, clock, sleep: timerSleep(), plans });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    expect(await limiter.acquire("a", "getOrder")).toBe(0);
    expect(await limiter.acquire("a", "getOrder")).toBe(0);
    const before = timers();
    const controller = new AbortController();
    const waiting = limiter.acquire("a", "getOrder", controller.signal).catch((e: unknown) => e);
    await new Promise((resolve) => setImmediate(resolve));
    // A real timer 100 s out is what the caller waits on.
    expect(timers()).toBe(before + 1);
    controller.abort();
    const err = await waiting;
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("SYNC_ABORTED");
    expect(timers()).toBe(before);
    // The aborted caller's slot is free again: the next caller has the same wait it had, not one more.
    const waits: number[] = [];
    const next = createRateLimiter({ store, clock, sleep: async (ms) => void waits.push(ms), plans });
    expect(await next.acquire("a", "getOrder")).toBe(100_000 + DEFAULT_MARGIN_MS);
    // Already aborted: no reservation is made at all.
    const late = await limiter.acquire("a", "getOrder", controller.signal).catch((e: unknown) => e);
    expect((late as AppError).code).toBe("SYNC_ABORTED");
    expect(await next.acquire("a", "getOrder")).toBe(200_000 + DEFAULT_MARGIN_MS);
  });

  it("spaces burst-1 buckets by 1 / rate plus a slack, so a late request cannot make the next one early", async () => {
    const clock = new ManualClock();
    const limiter = createRateLimiter({ store: memoryBucketStore(), clock, sleep: async () => undefined });
    expect(await limiter.acquire("a", "getCompetitiveSummary")).toBe(0); // 0.033/s, burst 1
    expect(await limiter.acquire("a", "getCompetitiveSummary")).toBe(
      Math.ceil(1000 / 0.033) + BURST_ONE_SLACK_MS + DEFAULT_MARGIN_MS,
    );
  });

  it("follows x-amzn-RateLimit-Limit and ignores nonsense in it", async () => {
    const clock = new ManualClock();
    const limiter = createRateLimiter({ store: memoryBucketStore(), clock, sleep: async () => undefined });
    for (let i = 0; i < 30; i++) await limiter.acquire("a", "getOrder"); // burst 30
    await limiter.adopt("a", "getOrder", "0.25");
    await limiter.adopt("a", "getOrder", "abc");
    await limiter.adopt("a", "getOrder", "-1");
    expect(await limiter.acquire("a", "getOrder")).toBe(4_100);
    await limiter.throttled("b", "getOrder"); // unknown bucket: nothing to drain
    expect(bucketKey("a", "getOrder")).not.toBe(bucketKey("a", "getReport"));
  });
});

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`shared buckets in the ${target.name} store`, () => {
    async function twoConnections(): Promise<[Database, Database]> {
      const key = randomBytes(32);
      const store: TestStore = await openTestStore(target.name, key);
      open.push({ close: () => store.dispose() });
      await migrateToLatest(store.database.db);
      const second =
        target.name === "postgres"
          ? await openPostgres(store.location)
          : await openSqlite(store.location, key);
      open.push({ close: () => second.close() });
      return [store.database, second];
    }

    it("two limiters on separate connections together never exceed the rate", async () => {
      const [first, second] = await twoConnections();
      const plan = { rate: 0.5, burst: 4 };
      const clock = new ManualClock();
      const grants: number[] = [];
      const takeA = recordingLimiter(sqlBucketStore(first.db, first.kind), clock, plan, grants);
      const takeB = recordingLimiter(sqlBucketStore(second.db, second.kind), clock, plan, grants);
      const gaps = [0, 100, 2_500, 0, 700, 4_000, 50, 9_000, 1_000, 0];
      for (const [i, gap] of gaps.entries()) {
        clock.advance(gap);
        await Promise.all([takeA(), takeB(), ...(i % 3 === 0 ? [takeA(), takeB()] : [])]);
      }
      expect(grants).toHaveLength(gaps.length * 2 + 8);
      expectWithinBucket(grants, plan);
      // Not merely slow: the shared bucket hands out the burst at once and then one slot per 2 s.
      const start = Math.min(...grants);
      expect(Math.max(...grants) - start).toBeLessThanOrEqual(
        ((grants.length - plan.burst) / plan.rate) * 1000 + 200,
      );
    });

    it("keeps two processes whose clocks disagree within the rate, in the faster clock's time", async () => {
      const [first, second] = await twoConnections();
      const plan = { rate: 2, burst: 2 };
      const ahead = new ManualClock("2026-01-01T00:00:00.040Z");
      const behind = new ManualClock("2026-01-01T00:00:00.000Z");
      const grants: number[] = [];
      const limiter = (database: Database, clock: ManualClock, skewMs: number) => {
        const l = createRateLimiter({
          store: sqlBucketStore(database.db, database.kind),
          clock,
          sleep: async () => undefined,
          plans: { getOrder: plan },
          marginMs: 0,
        });
        return async () => {
          const at = clock.now().getTime();
          grants.push(at + (await l.acquire("acct", "getOrder")) + skewMs);
        };
      };
      const a = limiter(first, ahead, 0);
      const b = limiter(second, behind, 40);
      for (let i = 0; i < 12; i++) {
        await a();
        await b();
        ahead.advance(300);
        behind.advance(300);
      }
      // Measured on the clock that runs ahead (Amazon's may be either): never early.
      expectWithinBucket(grants, plan);
    });

    it("counts a slot from the shared row's time, not from when the database answered", async () => {
      const [first] = await twoConnections();
      await expectSlotsFromTheBucketsTime(sqlBucketStore(first.db, first.kind));
    });

    it("adopts a new rate and drains on 429 in the shared row", async () => {
      const [first, second] = await twoConnections();
      const clock = new ManualClock();
      const a = createRateLimiter({
        store: sqlBucketStore(first.db, first.kind),
        clock,
        sleep: async () => undefined,
      });
      const b = createRateLimiter({
        store: sqlBucketStore(second.db, second.kind),
        clock,
        sleep: async () => undefined,
      });
      expect(await a.acquire("acct", "getInventorySummaries")).toBe(0); // burst 2
      await b.adopt("acct", "getInventorySummaries", "0.5");
      await b.throttled("acct", "getInventorySummaries");
      // Drained to zero and refilling at 0.5/s: the next token is 2 s away, for either process.
      expect(await a.acquire("acct", "getInventorySummaries")).toBe(2_100);
      const row = await first.db
        .selectFrom("spapi_rate_buckets")
        .selectAll()
        .where("bucket_key", "=", bucketKey("acct", "getInventorySummaries"))
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ rate: 0.5, burst: 2, tokens: -1 });
      expect(AppError).toBeDefined();
    });
  });
}
