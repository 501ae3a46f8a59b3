import { describe, expect, it } from "vitest";
import { ManualClock } from "../platform/clock.js";
import {
  createRateLimiter,
  DEFAULT_MARGIN_MS,
  LATENCY_DECAY,
  LATENCY_MARGIN_SHARE,
  MAX_LATENCY_MARGIN_MS,
  memoryBucketStore,
} from "./rate-limiter.js";
import type { UsagePlan } from "./usage-plans.js";

const PLAN: UsagePlan = { rate: 0.0167, burst: 15 };

/** A limiter on a still clock whose sleeps only report how long each caller would wait. */
function stillLimiter() {
  const clock = new ManualClock();
  const limiter = createRateLimiter({
    store: memoryBucketStore(),
    clock,
    sleep: async () => undefined,
    plans: { createReport: PLAN },
  });
  return { clock, limiter };
}

/**
 * Amazon's side: a bucket that starts full when the first request arrives and refills from then on. Returns
 * the index of the first request that finds less than a whole token (it would be answered 429), or -1.
 */
function firstThrottled(arrivalsMs: readonly number[], plan: UsagePlan): number {
  const sorted = [...arrivalsMs].sort((a, b) => a - b);
  let tokens = plan.burst;
  let at = sorted[0] ?? 0;
  for (const [i, arrival] of sorted.entries()) {
    tokens = Math.min(plan.burst, tokens + ((arrival - at) * plan.rate) / 1000);
    at = arrival;
    if (tokens < 1) return i;
    tokens -= 1;
  }
  return -1;
}

/**
 * 25 callers at once against a burst of 15. The burst's requests reach Amazon `firstTripMs` after they were
 * let through (a new connection: handshake and one-way trip), the delayed ones at once (the worst case: a
 * warm connection and no jitter in our favour).
 */
async function arrivals(observedRoundTripMs: number | null, firstTripMs: number): Promise<number[]> {
  const { clock, limiter } = stillLimiter();
  if (observedRoundTripMs !== null) limiter.observeLatency(observedRoundTripMs);
  const t0 = clock.now().getTime();
  const waits = await Promise.all(
    Array.from({ length: 25 }, () => limiter.acquire("acct-1", "createReport")),
  );
  return waits.map((wait) => t0 + wait + (wait === 0 ? firstTripMs : 0));
}

describe("the rate limiter's latency margin", () => {
  it("keeps every request within Amazon's bucket when that bucket started one trip after ours", async () => {
    // Observed round trips cover the trip that put Amazon's bucket behind ours.
    expect(firstThrottled(await arrivals(700, 600), PLAN)).toBe(-1);
  });

  it("without the observed latency the same schedule draws a 429 (the case the margin exists for)", async () => {
    expect(firstThrottled(await arrivals(null, 600), PLAN)).toBe(15);
  });

  it("follows the longest recent round trip, decays, never drops below the fixed margin, and is capped", () => {
    const { limiter } = stillLimiter();
    const margin = () => limiter.currentMarginMs(PLAN.rate);
    expect(margin()).toBe(DEFAULT_MARGIN_MS);
    limiter.observeLatency(800);
    expect(margin()).toBe(800);
    // A shorter trip does not shrink the margin at once: it decays one step per observed call.
    limiter.observeLatency(10);
    expect(margin()).toBeCloseTo(800 * LATENCY_DECAY, 6);
    for (let i = 0; i < 100; i++) limiter.observeLatency(10);
    expect(margin()).toBe(DEFAULT_MARGIN_MS);
    limiter.observeLatency(10 * 60_000);
    expect(margin()).toBe(MAX_LATENCY_MARGIN_MS);
    // Nonsense samples (a clock that stepped back) are ignored.
    limiter.observeLatency(-5);
    limiter.observeLatency(Number.NaN);
    expect(margin()).toBe(MAX_LATENCY_MARGIN_MS);
  });

  it("keeps the latency part within a tenth of a fast bucket's interval", () => {
    const { limiter } = stillLimiter();
    limiter.observeLatency(800);
    // getReport-like, 2 per second: a tenth of 500 ms is below the fixed margin, which stays.
    expect(limiter.currentMarginMs(2)).toBe(DEFAULT_MARGIN_MS);
    // 1 per second: capped at 100 ms; 0.5 per second: 200 ms.
    expect(limiter.currentMarginMs(1)).toBe(Math.max(DEFAULT_MARGIN_MS, LATENCY_MARGIN_SHARE * 1000));
    expect(limiter.currentMarginMs(0.5)).toBe(200);
    // createReport's minute-long interval leaves room for the whole trip.
    expect(limiter.currentMarginMs(PLAN.rate)).toBe(800);
  });

  it("adds the margin to delayed slots only; the burst still goes at once", async () => {
    const { limiter } = stillLimiter();
    limiter.observeLatency(1_500);
    const waits = await Promise.all(
      Array.from({ length: 16 }, () => limiter.acquire("acct-1", "createReport")),
    );
    expect(waits.slice(0, 15)).toEqual(Array(15).fill(0));
    expect(waits[15]).toBe(Math.ceil(1000 / PLAN.rate + 1_500));
  });
});
