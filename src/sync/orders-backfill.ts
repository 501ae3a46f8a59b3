import { createReport } from "../amazon/operations/reports.js";
import { openReportDocument, waitForReport } from "../amazon/reports.js";
import { AppError } from "../platform/errors.js";
import { parseOrderReport } from "./order-report-parser.js";
import { fetchOrderDetails } from "./orders-details.js";
import { ORDERS_STREAM } from "./orders-incremental.js";
import { storeOrderBatch } from "./orders-store.js";
import { listCheckpoints } from "./sync-checkpoints-repo.js";
import {
  ACTOR,
  addSkipped,
  checkAborted,
  isRecord,
  readCursor,
  type StreamContext,
  writeCursor,
} from "./sync-context.js";

/**
 * First-connection backfill: order-tracking reports by order date in fixed windows over the history, several
 * in flight (the rate limiter paces createReport/getReportDocument; the pool bounds open documents), each
 * document streamed through gunzip and the parser straight into batched upserts. The plan (its windows) is
 * stored first, and each window records its report id when requested and "done" once stored, so a restart
 * re-asks nothing finished, reuses reports already requested, and re-stores at most the windows in flight
 * (upserts are idempotent: nothing is duplicated).
 */
export const REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL";
export const BACKFILL_STREAM = "orders.backfill";
export const WINDOW_STREAM_PREFIX = "orders.window.";

export interface BackfillPlan {
  id: string;
  from: string;
  until: string;
  windowMs: number;
  windows: number;
  done?: boolean;
}

interface WindowCursor {
  plan: string;
  reportId?: string;
  done?: boolean;
}

const isPlan = (v: unknown): v is BackfillPlan =>
  isRecord(v) &&
  typeof v.id === "string" &&
  typeof v.from === "string" &&
  typeof v.until === "string" &&
  typeof v.windowMs === "number" &&
  typeof v.windows === "number";

/** Whether a backfill is still to run (no plan yet, or one left unfinished). */
export async function backfillPending(ctx: StreamContext): Promise<boolean> {
  const plan = await readCursor(ctx.db, ctx.accountId, BACKFILL_STREAM, isPlan);
  return plan === null || plan.done !== true;
}

function windowOf(plan: BackfillPlan, index: number): { start: string; end: string } {
  const from = Date.parse(plan.from);
  const until = Date.parse(plan.until);
  const start = from + index * plan.windowMs;
  // Amazon's bounds are inclusive: each window ends 1 ms before the next begins, so no order is in two.
  const end = Math.min(start + plan.windowMs, until + 1) - 1;
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}

export async function runOrdersBackfill(ctx: StreamContext): Promise<void> {
  let plan = await readCursor(ctx.db, ctx.accountId, BACKFILL_STREAM, isPlan);
  if (plan?.done && !ctx.full) return;
  if (!plan || ctx.full) {
    const untilMs = ctx.amazonClock.now().getTime() - ctx.tuning.endLagMs;
    const fromMs = untilMs - ctx.tuning.historyMs;
    plan = {
      id: `${untilMs.toString(36)}`,
      from: new Date(fromMs).toISOString(),
      until: new Date(untilMs).toISOString(),
      windowMs: ctx.tuning.windowMs,
      windows: Math.ceil((untilMs - fromMs) / ctx.tuning.windowMs),
    };
    await writeCursor(ctx.db, ctx.accountId, BACKFILL_STREAM, plan, ctx.clock.now());
  }
  const current = plan;

  const cursors = new Map<number, WindowCursor>();
  for (const cp of await listCheckpoints(ctx.db, ctx.accountId)) {
    if (!cp.stream.startsWith(WINDOW_STREAM_PREFIX) || !cp.cursor) continue;
    try {
      const value: unknown = JSON.parse(cp.cursor);
      if (isRecord(value) && value.plan === current.id) {
        cursors.set(Number(cp.stream.slice(WINDOW_STREAM_PREFIX.length)), value as unknown as WindowCursor);
      }
    } catch {
      // An unreadable window checkpoint: the window is simply done again.
    }
  }
  const pending: number[] = [];
  for (let i = current.windows - 1; i >= 0; i--) if (!cursors.get(i)?.done) pending.push(i);
  // Newest windows first: recent orders matter most to a seller who just connected.
  let finished = current.windows - pending.length;
  ctx.progress("backfill", finished, current.windows);

  let failure: unknown = null;
  const fail = (err: unknown) => {
    // Windows in flight finish (their work is not wasted) but none is started after a failure; an
    // account-wide stop also empties the queue at once.
    failure ??= err;
    if (err instanceof AppError && STOP_ALL.has(err.code)) pending.length = 0;
  };
  // Two stages: requesting and awaiting reports (bounded by reportConcurrency, paced by the limiter) and
  // storing their documents (documentConcurrency). A ready report frees its slot at once, so the next
  // window's createReport never waits behind a document being parsed.
  const storing = gate(Math.max(1, ctx.tuning.documentConcurrency));
  const stored: Promise<void>[] = [];
  const worker = async () => {
    for (let index = pending.shift(); index !== undefined; index = pending.shift()) {
      if (failure !== null) return;
      try {
        const report = await readyReport(ctx, current, index, cursors.get(index)?.reportId);
        stored.push(
          storing(async () => {
            if (failure !== null) return;
            await storeWindow(ctx, current, index, report.reportDocumentId);
            finished += 1;
            ctx.progress("backfill", finished, current.windows);
          }).catch(fail),
        );
      } catch (err) {
        fail(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, ctx.tuning.reportConcurrency) }, worker));
  await Promise.all(stored);
  if (failure !== null) throw failure;

  await fetchOrderDetails(ctx, current);
  await writeCursor(ctx.db, ctx.accountId, ORDERS_STREAM, { after: current.until }, ctx.clock.now());
  await writeCursor(ctx.db, ctx.accountId, BACKFILL_STREAM, { ...current, done: true }, ctx.clock.now());
}

const STOP_ALL = new Set(["SPAPI_AUTHORIZATION_REVOKED", "SYNC_ABORTED", "SPAPI_FEATURE_DISABLED"]);

/** The window's report, requested (or the one asked for before a restart) and awaited until it is done. */
async function readyReport(
  ctx: StreamContext,
  plan: BackfillPlan,
  index: number,
  knownReportId: string | undefined,
) {
  const stream = `${WINDOW_STREAM_PREFIX}${index}`;
  const { start, end } = windowOf(plan, index);
  const request = async () => {
    const reportId = await ctx.call(() =>
      createReport(
        ctx.client,
        ctx.accountId,
        {
          reportType: REPORT_TYPE,
          marketplaceIds: ctx.marketplaces,
          dataStartTime: start,
          dataEndTime: end,
        },
        { actor: ACTOR },
      ),
    );
    await writeCursor(ctx.db, ctx.accountId, stream, { plan: plan.id, reportId }, ctx.clock.now());
    return reportId;
  };
  const wait = (reportId: string) =>
    ctx.call(() =>
      waitForReport(ctx.client, ctx.accountId, reportId, {
        sleep: async (ms) => {
          checkAborted(ctx.signal);
          await ctx.sleep(ms);
        },
        // Polls and the timeout count in Amazon's time, like the sleeps between them.
        clock: ctx.amazonClock,
        intervalMs: ctx.tuning.reportPollMs,
        timeoutMs: ctx.tuning.reportTimeoutMs,
        options: { actor: ACTOR },
      }),
    );

  let report: Awaited<ReturnType<typeof wait>>;
  if (knownReportId) {
    try {
      report = await wait(knownReportId);
    } catch (err) {
      // A report requested before a crash may have expired or failed: ask for a fresh one.
      if (!(err instanceof AppError) || !REQUEST_AGAIN.has(err.code)) throw err;
      report = await wait(await request());
    }
  } else {
    report = await wait(await request());
  }
  return report;
}

/** Stores the window's document and marks the window done. */
async function storeWindow(
  ctx: StreamContext,
  plan: BackfillPlan,
  index: number,
  reportDocumentId: string,
): Promise<void> {
  const stream = `${WINDOW_STREAM_PREFIX}${index}`;
  // A document cut short is read once more from the start (idempotent upserts make the repeat harmless).
  for (let attempt = 1; ; attempt++) {
    checkAborted(ctx.signal);
    try {
      await storeDocument(ctx, reportDocumentId);
      break;
    } catch (err) {
      const retryable = err instanceof AppError && RETRY_DOCUMENT.has(err.code);
      if (!retryable || attempt >= 2) throw err;
    }
  }
  await writeCursor(ctx.db, ctx.accountId, stream, { plan: plan.id, done: true }, ctx.clock.now());
}

const REQUEST_AGAIN = new Set(["SPAPI_REQUEST_REFUSED", "SPAPI_REPORT_FAILED"]);
// A presigned URL that expired between asking and reading is refused: asking again is the remedy.
const RETRY_DOCUMENT = new Set([
  "REPORT_TRUNCATED",
  "SPAPI_BAD_RESPONSE",
  "SPAPI_UNAVAILABLE",
  "SPAPI_REQUEST_REFUSED",
]);

async function storeDocument(ctx: StreamContext, reportDocumentId: string): Promise<void> {
  const document = await ctx.call(() =>
    openReportDocument(
      // The presigned URL expires in Amazon's time.
      { client: ctx.client, transport: ctx.transport, clock: ctx.amazonClock },
      ctx.accountId,
      reportDocumentId,
      { actor: ACTOR },
    ),
  );
  // openReportDocument already gunzips; the parser reads plain bytes.
  const parse = parseOrderReport(document, { batchSize: ctx.tuning.batchSize, gzip: false });
  try {
    for await (const batch of parse.batches) {
      checkAborted(ctx.signal);
      for (const bad of batch.badRows) addSkipped(ctx.counts, bad.reason, 1);
      ctx.counts.badRows += batch.badRows.length;
      if (batch.orders.length > 0) await storeOrderBatch(ctx, batch.orders);
    }
  } finally {
    document.destroy();
  }
}

/** At most `n` of the tasks given to it run at once; the rest wait in order. */
function gate(n: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    // A finishing task hands its slot straight to the next waiter, so no newcomer can slip in between.
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else active += 1;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}
