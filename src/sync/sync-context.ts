import type { Kysely } from "kysely";
import type { FeatureName } from "../amazon/features.js";
import type { SpApiCaller } from "../amazon/operation-spec.js";
import type { HttpTransport } from "../amazon/transport.js";
import type { FieldCipher } from "../crypto/field-cipher.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import { MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { getCheckpoint, saveCheckpoint } from "./sync-checkpoints-repo.js";

/** The data streams a sync run can cover; each follows one enabled feature of the account. */
export const STREAMS = ["orders", "inventory", "pricing", "finances"] as const;
export type Stream = (typeof STREAMS)[number];

/** Which feature a stream needs. */
export const STREAM_FEATURE: Readonly<Record<Stream, FeatureName>> = {
  orders: "orders_sales",
  inventory: "inventory",
  pricing: "pricing",
  finances: "finances",
};

/** Knobs with defaults that follow Amazon's limits; tests and benches shrink or widen them. */
export interface SyncTuning {
  /** How far back a first backfill goes. */
  historyMs: number;
  /** Span of one order-tracking report (Amazon accepts up to 30 days for these reports). */
  windowMs: number;
  /**
   * Reports requested and awaited at once (the limiter paces the calls). The default is createReport's
   * burst; a slot frees as soon as its report is ready, so requesting never waits for documents being read.
   */
  reportConcurrency: number;
  /** Report documents downloaded and stored at once: bounds memory (storing is CPU-bound anyway). */
  documentConcurrency: number;
  /** Orders per upsert transaction. */
  batchSize: number;
  /** How far an incremental run reaches back before its cursor, for late-visible updates. */
  overlapMs: number;
  /** Amazon requires the end of a search at least 2 minutes in the past; a margin on top for clock skew. */
  endLagMs: number;
  /** Between two getReport polls (Amazon time). */
  reportPollMs: number;
  /** Give up on one report after this long (Amazon time). */
  reportTimeoutMs: number;
  /** How often a call the client gave up on because of 429s is tried again by the engine. */
  throttleRetries: number;
}

export const DEFAULT_TUNING: SyncTuning = {
  historyMs: 730 * MS.day,
  windowMs: 30 * MS.day,
  reportConcurrency: 15,
  documentConcurrency: 3,
  batchSize: 500,
  overlapMs: 10 * MS.minute,
  endLagMs: 2 * MS.minute + 30 * MS.second,
  // 15 reports polled every 15 s stay within getReport's 2 per second; a ready report waits 7.5 s on average.
  reportPollMs: 15 * MS.second,
  reportTimeoutMs: 2 * MS.hour,
  throttleRetries: 3,
};

/** Counts of one stream's run; the summary shows them per stream. */
export interface StreamCounts {
  /** Records read from Amazon (orders, summaries, prices, events). */
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Rows that could not be read or failed validation: counted, not stored. */
  badRows: number;
  /** Calls the client gave up on because of 429s, which the engine waited out and repeated. */
  throttled: number;
  /** Order items written (orders stream). */
  items: number;
  /** What was not stored, by reason (e.g. BAD_DATE, stale, piiDropped). */
  skipped: Record<string, number>;
}

export function emptyCounts(): StreamCounts {
  return {
    fetched: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    badRows: 0,
    throttled: 0,
    items: 0,
    skipped: {},
  };
}

export function addSkipped(counts: StreamCounts, reason: string, n: number): void {
  if (n > 0) counts.skipped[reason] = (counts.skipped[reason] ?? 0) + n;
}

export interface SyncProgress {
  accountId: string;
  stream: Stream;
  /** What the stream is doing: backfill windows, detail pages, incremental pages... */
  phase: string;
  /** Units of the phase done so far and, when known, in total (windows, pages, batches). */
  done: number;
  total?: number;
  fetched: number;
}

/** Everything a stream needs for one account's run. */
export interface StreamContext {
  db: Kysely<DB>;
  fields: Pick<FieldCipher, "seal" | "open">;
  client: SpApiCaller;
  transport: HttpTransport;
  /** Ours: stamps what we record. Two clocks because demo mode runs Amazon's time faster than ours. */
  clock: Clock;
  /** Amazon's time: for what is sent to or compared with Amazon (search ends, report ranges, polling). */
  amazonClock: Clock;
  /** Waits in Amazon time. */
  sleep: (ms: number) => Promise<void>;
  tuning: SyncTuning;
  accountId: string;
  features: readonly FeatureName[];
  /** When the seller last authorized us (with these features): what a once-per-grant step is keyed on. */
  authorizedAt: string | null;
  marketplaces: readonly string[];
  sellingPartnerId: string | null;
  full: boolean;
  signal: AbortSignal | undefined;
  counts: StreamCounts;
  progress(phase: string, done: number, total?: number): void;
  /** Every SP-API call of the run goes through here: abort check, the revocation guard, 429 retries. */
  call<T>(fn: () => Promise<T>): Promise<T>;
}

export const ACTOR = "system:sync";

export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError("SYNC_ABORTED");
}

/**
 * Wraps one SP-API call: stops when the run was aborted, lets the guard mark a revoked account, and when the
 * client ran out of retries on 429s, waits for a while (Amazon time) and tries again a few times: a
 * throttled moment must not fail a stream that otherwise makes progress.
 */
export function callWith(
  ctx: Pick<StreamContext, "signal" | "sleep" | "tuning" | "counts" | "accountId">,
  guard: <T>(accountId: string, fn: () => Promise<T>) => Promise<T>,
) {
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      checkAborted(ctx.signal);
      try {
        return await guard(ctx.accountId, fn);
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== "SPAPI_THROTTLED") throw err;
        ctx.counts.throttled += 1;
        if (attempt >= ctx.tuning.throttleRetries) throw err;
        await ctx.sleep(MS.minute * 2 ** attempt);
      }
    }
  };
}

/** Checkpoint cursors are JSON owned by each stream; an unreadable one counts as no checkpoint. */
export async function readCursor<T>(
  db: Kysely<DB>,
  accountId: string,
  stream: string,
  valid: (value: unknown) => value is T,
): Promise<T | null> {
  const checkpoint = await getCheckpoint(db, accountId, stream);
  if (!checkpoint?.cursor) return null;
  try {
    const value: unknown = JSON.parse(checkpoint.cursor);
    return valid(value) ? value : null;
  } catch {
    return null;
  }
}

export async function writeCursor(
  db: Kysely<DB>,
  accountId: string,
  stream: string,
  cursor: unknown,
  now: Date,
): Promise<void> {
  await saveCheckpoint(db, { accountId, stream, cursor: JSON.stringify(cursor), now });
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** An ISO instant of Amazon's (seconds or milliseconds) as the stored form (UTC, milliseconds), or null. */
export function isoMs(value: string | undefined): string | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(ms).toISOString() : null;
}
