import { type Kysely, type RawBuilder, sql } from "kysely";
import type { Database, StoreKind } from "../db/database.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import { MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { abortError, type Sleep, throwIfAborted } from "./abort.js";
import { type SpApiOperation, type UsagePlan, usagePlan } from "./usage-plans.js";

/**
 * Token buckets per (seller account, operation), kept in step with Amazon's. Taking a token is a reservation:
 * the balance may go below zero, and a caller that drove it to -n waits n / rate seconds. So concurrent callers
 * line up in the order they reserved and none of them polls. Rates are per second of the injected clock.
 */
export interface BucketStore {
  /**
   * Takes one token; returns the balance after taking it (negative: a future slot), the bucket's rate, and the
   * bucket's time that balance holds at (`nowMs`, or a later time another process already counted up to).
   */
  reserve(key: string, plan: UsagePlan, nowMs: number): Promise<Reservation>;
  /** Gives a reserved token back (the caller decided not to wait). */
  refund(key: string): Promise<void>;
  /** Adopts the rate Amazon reports in x-amzn-RateLimit-Limit. */
  setRate(key: string, plan: UsagePlan, rate: number, nowMs: number): Promise<void>;
  /** Amazon answered 429: its bucket is empty, so ours holds no spare tokens either. */
  drain(key: string): Promise<void>;
}

export interface Reservation {
  tokens: number;
  rate: number;
  burst: number;
  atMs: number;
}

interface MemoryBucket {
  tokens: number;
  rate: number;
  burst: number;
  updatedMs: number;
}

function refill(bucket: MemoryBucket, nowMs: number): void {
  const elapsed = Math.max(0, nowMs - bucket.updatedMs) / 1000;
  bucket.tokens = Math.min(bucket.burst, bucket.tokens + elapsed * bucket.rate);
  bucket.updatedMs = Math.max(bucket.updatedMs, nowMs);
}

/** One process (SQLite deployments): buckets in memory. */
export function memoryBucketStore(): BucketStore {
  const buckets = new Map<string, MemoryBucket>();
  const get = (key: string, plan: UsagePlan, nowMs: number) => {
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { tokens: plan.burst, rate: plan.rate, burst: plan.burst, updatedMs: nowMs };
      buckets.set(key, bucket);
    }
    refill(bucket, nowMs);
    return bucket;
  };
  return {
    async reserve(key, plan, nowMs) {
      const bucket = get(key, plan, nowMs);
      bucket.tokens -= 1;
      return { tokens: bucket.tokens, rate: bucket.rate, burst: bucket.burst, atMs: bucket.updatedMs };
    },
    async refund(key) {
      const bucket = buckets.get(key);
      if (bucket) bucket.tokens = Math.min(bucket.burst, bucket.tokens + 1);
    },
    async setRate(key, plan, rate, nowMs) {
      get(key, plan, nowMs).rate = rate;
    },
    async drain(key) {
      const bucket = buckets.get(key);
      if (bucket) bucket.tokens = Math.min(bucket.tokens, 0);
    },
  };
}

/**
 * Buckets in the data store, shared by every process using it. Each reservation is one atomic statement
 * (INSERT ... ON CONFLICT DO UPDATE ... RETURNING): the row lock serializes concurrent takers, so two workers
 * together never hand out more than burst + rate x elapsed tokens.
 */
export function sqlBucketStore(db: Kysely<DB>, kind: StoreKind): BucketStore {
  const least = (a: RawBuilder<unknown>, b: RawBuilder<unknown>) =>
    kind === "postgres" ? sql`LEAST(${a}, ${b})` : sql`min(${a}, ${b})`;
  const greatest = (a: RawBuilder<unknown>, b: RawBuilder<unknown>) =>
    kind === "postgres" ? sql`GREATEST(${a}, ${b})` : sql`max(${a}, ${b})`;
  const num = (n: number) => (kind === "postgres" ? sql`${n}::double precision` : sql`${n}`);
  const ms = (n: number) => (kind === "postgres" ? sql`${Math.round(n)}::bigint` : sql`${Math.round(n)}`);
  const b = sql.ref("spapi_rate_buckets.tokens");
  const refilled = (nowMs: number) =>
    least(
      sql`spapi_rate_buckets.burst`,
      sql`${b} + ${greatest(sql`0`, sql`${ms(nowMs)} - spapi_rate_buckets.updated_ms`)} / 1000.0 * spapi_rate_buckets.rate`,
    );
  const upsert = (key: string, plan: UsagePlan, nowMs: number, tokensAfter: RawBuilder<unknown>) =>
    db
      .insertInto("spapi_rate_buckets")
      .values({ bucket_key: key, tokens: plan.burst, rate: plan.rate, burst: plan.burst, updated_ms: nowMs })
      .onConflict((oc) =>
        oc.column("bucket_key").doUpdateSet({
          tokens: tokensAfter as RawBuilder<number>,
          updated_ms: greatest(sql`spapi_rate_buckets.updated_ms`, ms(nowMs)) as RawBuilder<number>,
        }),
      );
  return {
    async reserve(key, plan, nowMs) {
      // A new row starts full, minus the token this call takes.
      const row = await db
        .insertInto("spapi_rate_buckets")
        .values({
          bucket_key: key,
          tokens: plan.burst - 1,
          rate: plan.rate,
          burst: plan.burst,
          updated_ms: nowMs,
        })
        .onConflict((oc) =>
          oc.column("bucket_key").doUpdateSet({
            tokens: sql<number>`${refilled(nowMs)} - 1`,
            updated_ms: greatest(sql`spapi_rate_buckets.updated_ms`, ms(nowMs)) as RawBuilder<number>,
          }),
        )
        .returning(["tokens", "rate", "burst", "updated_ms"])
        .executeTakeFirstOrThrow();
      return {
        tokens: Number(row.tokens),
        rate: Number(row.rate),
        burst: Number(row.burst),
        atMs: Number(row.updated_ms),
      };
    },
    async refund(key) {
      await db
        .updateTable("spapi_rate_buckets")
        .set({ tokens: least(sql`burst`, sql`tokens + 1`) as RawBuilder<number> })
        .where("bucket_key", "=", key)
        .execute();
    },
    async setRate(key, plan, rate, nowMs) {
      // Refill at the old rate up to now first, so the change applies from now on only.
      await upsert(key, plan, nowMs, refilled(nowMs)).execute();
      await db
        .updateTable("spapi_rate_buckets")
        .set({ rate: num(rate) as RawBuilder<number> })
        .where("bucket_key", "=", key)
        .execute();
    },
    async drain(key) {
      await db
        .updateTable("spapi_rate_buckets")
        .set({ tokens: least(sql`tokens`, sql`0`) as RawBuilder<number> })
        .where("bucket_key", "=", key)
        .execute();
    },
  };
}

/** PostgreSQL: shared by every worker process. SQLite: one process, so memory (and no write per call). */
export function bucketStoreFor(database: Pick<Database, "db" | "kind">): BucketStore {
  return database.kind === "postgres" ? sqlBucketStore(database.db, "postgres") : memoryBucketStore();
}

export interface RateLimiterDeps {
  store: BucketStore;
  clock: Clock;
  sleep: Sleep;
  /** Usage-plan overrides (e.g. a benchmark's bucket); the models' plans otherwise. */
  plans?: Partial<Record<SpApiOperation, UsagePlan>>;
  /** A reservation further out than this is given back and the call fails SPAPI_THROTTLED. */
  maxWaitMs?: number;
  /**
   * Extra wait added to every delayed slot. A constant shift, so it costs no throughput, and it absorbs
   * network jitter and early timers: a request must not reach Amazon a hair before its token refills.
   */
  marginMs?: number;
}

export const DEFAULT_MAX_WAIT_MS = 30 * MS.minute;
export const DEFAULT_MARGIN_MS = 100;
/**
 * Our bucket starts refilling when we take its first token, Amazon's when that request arrives: one trip
 * later. So our slots may lead Amazon's by up to a trip, and a request sent on its slot can find Amazon's
 * bucket a hair short (a 429 costs the caller a whole slot: a minute for createReport). The margin therefore
 * follows the longest recent round trip, decaying by this factor per observed call, never below marginMs.
 */
export const LATENCY_DECAY = 0.9;
/**
 * The latency part of the margin stays within this share of the bucket's interval (1 / rate): a request held
 * back lets Amazon's bucket fill while ours counts the token as taken, and near a full bucket that fill is
 * lost to the cap. A tenth of a token at most keeps fast buckets on the fixed margin and still covers trips of
 * whole seconds for the slow ones where a lost slot hurts.
 */
export const LATENCY_MARGIN_SHARE = 0.1;
/** A stalled connection must not stretch every slot: the latency margin stops here. */
export const MAX_LATENCY_MARGIN_MS = 5 * MS.second;
/**
 * A bucket of burst 1 is full at every slot, so Amazon refills it from each request's arrival: a request that
 * arrives late (network jitter) pushes the next slot back, which our schedule cannot see. Such buckets are
 * run this much slower per token (about 2% of getCompetitiveSummary's 30 s) instead of drawing 429s.
 */
export const BURST_ONE_SLACK_MS = 500;

/** The rate we schedule with: Amazon's, except for burst-1 buckets (see BURST_ONE_SLACK_MS). */
export function schedulingRate(rate: number, burst: number): number {
  return burst <= 1 ? 1000 / (1000 / rate + BURST_ONE_SLACK_MS) : rate;
}
/**
 * A caller that sends this late for its slot takes a new one instead. During a stall Amazon's bucket gathers
 * the tokens of the slots nobody used, up to its burst, so the callers of a short stall fit when they all
 * arrive at once; the limit is the time of (burst - 1) / 2 tokens, leaving room for other processes' arrivals
 * and jitter, and at least one token's time, so an ordinary late timer never re-slots. A burst-1 bucket holds
 * nothing: Amazon refills it from each arrival, so lateness beyond the slack between our slots
 * (BURST_ONE_SLACK_MS) would make the next caller early. At real rates that is a stall of seconds or more; in
 * a time-scaled benchmark, tens of real milliseconds.
 */
export function lateSlotLimitMs(rate: number, burst: number): number {
  if (burst <= 1) return BURST_ONE_SLACK_MS;
  return Math.max(1000 / rate, ((burst - 1) / 2 / rate) * 1000);
}
/** A process that keeps stalling still sends, after this many new slots. */
export const LATE_SLOT_RETRIES = 2;
/** Rates Amazon may report that we accept; anything else in the header is ignored. */
const MAX_RATE = 10_000;

export function bucketKey(owner: string, operation: SpApiOperation): string {
  return `${owner}\u001f${operation}`;
}

export function createRateLimiter(deps: RateLimiterDeps) {
  const { store, clock } = deps;
  const maxWaitMs = deps.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const marginMs = deps.marginMs ?? DEFAULT_MARGIN_MS;
  const planOf = (operation: SpApiOperation): UsagePlan => {
    const plan = deps.plans?.[operation] ?? usagePlan(operation);
    return { rate: schedulingRate(plan.rate, plan.burst), burst: plan.burst };
  };
  const known = new Map<string, number>();
  let latencyMs = 0;
  const margin = (rate: number) =>
    Math.max(marginMs, Math.min(latencyMs, MAX_LATENCY_MARGIN_MS, (LATENCY_MARGIN_SHARE * 1000) / rate));

  return {
    /**
     * Waits (through the injected sleep) until the bucket of (owner, operation) grants a token. `owner` is the
     * seller account id, or "application" for grantless operations. Returns how long it waited. An abort
     * during the wait gives the reserved token back and rejects with abortError(signal). A caller that wakes
     * too late for its slot (lateSlotLimitMs) takes a new one, at most LATE_SLOT_RETRIES times.
     */
    async acquire(owner: string, operation: SpApiOperation, signal?: AbortSignal): Promise<number> {
      const key = bucketKey(owner, operation);
      const plan = planOf(operation);
      const startedMs = clock.now().getTime();
      let waited = 0;
      for (let attempt = 0; ; attempt++) {
        throwIfAborted(signal);
        const { tokens, rate, burst, atMs } = await store.reserve(key, plan, clock.now().getTime());
        if (tokens >= 0) return waited;
        // The slot is where the bucket's own time reaches a whole token again, however long the store took to
        // answer: counting the wait from the answer instead put callers that queued for the row (a cold pool, a
        // busy database) behind the slots of callers that reserved after them, and the two crowds met at
        // Amazon as a burst. A bucket time ahead of ours can only be another process's clock running ahead
        // (e.g. two demo processes' scaled clocks): then the wait counts from our answer, as before, so the
        // skew is not added to every slot.
        const nowMs = clock.now().getTime();
        const dueMs = Math.min(atMs, nowMs) + (-tokens / rate) * 1000 + margin(rate);
        const waitMs = Math.max(0, Math.ceil(dueMs - nowMs));
        if (nowMs - startedMs + waitMs > maxWaitMs) {
          await store.refund(key);
          // A new slot too far out: the caller still holds the late one and goes on it, as after the retries.
          if (attempt > 0) return waited;
          throw new AppError("SPAPI_THROTTLED", "The SP-API rate limit leaves no slot soon enough.", {
            details: { operation, waitMs },
          });
        }
        try {
          if (waitMs > 0) await deps.sleep(waitMs, signal);
          throwIfAborted(signal);
        } catch (err) {
          if (!signal?.aborted) throw err;
          // The slot goes unused: whoever reserves next may have it.
          await store.refund(key);
          throw abortError(signal);
        }
        waited += waitMs;
        // Late by a stall of this process or by a store that answered after the slot (a cold pool, a busy
        // database): every caller whose slot fell in it goes now, together, a burst Amazon's bucket may not
        // hold. Past the limit this one takes a new slot. The missed one is not given back: Amazon's bucket may
        // have lost it to its cap meanwhile, so it stays counted, at a cost of at most a token per new slot.
        const lateMs = clock.now().getTime() - dueMs;
        if (lateMs <= lateSlotLimitMs(rate, burst) || attempt >= LATE_SLOT_RETRIES) return waited;
      }
    },

    /** x-amzn-RateLimit-Limit: Amazon's current rate for this (owner, operation). */
    async adopt(owner: string, operation: SpApiOperation, header: string | undefined): Promise<void> {
      if (header === undefined) return;
      const rate = Number(header);
      if (!(Number.isFinite(rate) && rate > 0 && rate <= MAX_RATE)) return;
      const key = bucketKey(owner, operation);
      if (known.get(key) === rate) return;
      known.set(key, rate);
      const plan = planOf(operation);
      await store.setRate(key, plan, schedulingRate(rate, plan.burst), clock.now().getTime());
    },

    /** How long a call took from sending to Amazon's answer, in the limiter's clock. */
    observeLatency(ms: number): void {
      if (!Number.isFinite(ms) || ms < 0) return;
      latencyMs = Math.max(ms, latencyMs * LATENCY_DECAY);
    },

    /** The extra wait added now to a delayed slot of a bucket refilling at `rate` per second (diagnostics, tests). */
    currentMarginMs(rate: number): number {
      return margin(rate);
    },

    async throttled(owner: string, operation: SpApiOperation): Promise<void> {
      await store.drain(bucketKey(owner, operation));
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
