import { setMaxListeners } from "node:events";
import type { Kysely } from "kysely";
import type { Sleep } from "../amazon/abort.js";
import type { SpApiCaller } from "../amazon/operation-spec.js";
import { getMarketplaceParticipations } from "../amazon/operations/seller-data.js";
import type { HttpTransport } from "../amazon/transport.js";
import type { AuditSink } from "../audit/audit-sink.js";
import { readConnection } from "../connect/connect-repo.js";
import type { FieldCipher } from "../crypto/field-cipher.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { runFinancesSync } from "./finances-sync.js";
import { runInventorySync } from "./inventory-sync.js";
import { backfillPending, runOrdersBackfill } from "./orders-backfill.js";
import { catchUpOrderDetails } from "./orders-details.js";
import { runOrdersIncremental } from "./orders-incremental.js";
import { runPricingSync } from "./pricing-sync.js";
import { addThrottled, recordSyncError } from "./sync-checkpoints-repo.js";
import {
  ACTOR,
  callWith,
  checkAborted,
  DEFAULT_TUNING,
  emptyCounts,
  STREAM_FEATURE,
  STREAMS,
  type Stream,
  type StreamContext,
  type StreamCounts,
  type SyncProgress,
  type SyncTuning,
} from "./sync-context.js";

export { STREAMS, type Stream, type SyncProgress, type SyncTuning } from "./sync-context.js";

export interface SyncEngineDeps {
  db: Kysely<DB>;
  fields: Pick<FieldCipher, "seal" | "open">;
  client: SpApiCaller;
  /** Report documents are fetched from their presigned URLs with it (openReportDocument). */
  transport: HttpTransport;
  audit: AuditSink;
  /** Our (wall) clock: checkpoint times, rows' created/updated times, the run summary's times. */
  clock: Clock;
  /**
   * Amazon's time (default: `clock`): search windows, report date ranges, cursors sent back to Amazon, report
   * polling. Only demo mode's time-scaled sandbox makes it differ from `clock`.
   */
  amazonClock?: Clock;
  /** Waits in Amazon time (report polling, waiting out throttling); tests move a manual clock instead. */
  sleep: Sleep;
  /** ConnectService.guard: marks the account revoked when Amazon says so. */
  guard?: <T>(accountId: string, fn: () => Promise<T>) => Promise<T>;
  tuning?: Partial<SyncTuning>;
}

export interface SyncRunOptions {
  /** Streams to run (default: every stream whose feature is enabled). */
  streams?: readonly Stream[];
  /** Backfill the orders again from scratch and re-read every stream's history. */
  full?: boolean;
  onProgress?: (p: SyncProgress) => void;
  /**
   * Stops the run within moments: SP-API calls, rate-limit waits, report polling and document reads end at
   * once, the run's summary says SYNC_ABORTED, and what was stored (and checkpointed) stays for the next run.
   */
  signal?: AbortSignal;
}

export interface StreamSummary extends StreamCounts {
  stream: Stream;
  status: "ok" | "failed" | "skipped";
  /** Why a stream did not run: FEATURE_DISABLED, or the code that stopped the account's run. */
  skippedReason?: string;
  durationMs: number;
  /** Catalog error code when the stream failed. */
  errorCode?: string;
}

export interface SyncSummary {
  accountId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  ok: boolean;
  /** Set when the whole run stopped (revoked authorization, account gone, aborted). */
  errorCode?: string;
  streams: StreamSummary[];
}

/** Codes after which no other stream of the account is tried. */
const STOPS_ACCOUNT = new Set(["SPAPI_AUTHORIZATION_REVOKED", "SYNC_ABORTED", "ACCOUNT_NOT_FOUND"]);

const RUNNERS: Readonly<Record<Stream, (ctx: StreamContext) => Promise<void>>> = {
  orders: async (ctx) => {
    if (ctx.full || (await backfillPending(ctx))) await runOrdersBackfill(ctx);
    await runOrdersIncremental(ctx);
    await catchUpOrderDetails(
      ctx,
      new Date(ctx.amazonClock.now().getTime() - ctx.tuning.endLagMs).toISOString(),
    );
  },
  // Inventory first among the others: pricing asks about the ASINs it lists.
  inventory: runInventorySync,
  pricing: runPricingSync,
  finances: runFinancesSync,
};

const errorCode = (err: unknown) => (err instanceof AppError ? err.code : "INTERNAL");

/**
 * The client, document transport and sleep of one run, tied to its signal: each call and wait the streams
 * make ends when the run is aborted, without every stream passing the signal along.
 */
function boundToSignal(deps: SyncEngineDeps, signal: AbortSignal | undefined) {
  if (!signal)
    return { client: deps.client, transport: deps.transport, sleep: (ms: number) => deps.sleep(ms) };
  const client: SpApiCaller = {
    call: (accountId, request, callOptions) =>
      deps.client.call(accountId, request, { ...callOptions, signal }),
  };
  const transport: HttpTransport = {
    send: (request) => deps.transport.send({ ...request, signal }),
    close: () => deps.transport.close(),
  };
  return { client, transport, sleep: (ms: number) => deps.sleep(ms, signal) };
}

/**
 * The run's own signal, following the caller's. Every call, wait and request in flight listens on it: one per
 * report in flight and document being stored (reportConcurrency + documentConcurrency of them), more than
 * Node's default limit of 10 warns about.
 */
function followSignal(outer: AbortSignal | undefined, tuning: SyncTuning) {
  if (!outer) return { signal: undefined, release: () => {} };
  const inner = new AbortController();
  setMaxListeners(tuning.reportConcurrency + tuning.documentConcurrency + 10, inner.signal);
  const forward = () => inner.abort(outer.reason);
  if (outer.aborted) forward();
  else outer.addEventListener("abort", forward, { once: true });
  return { signal: inner.signal, release: () => outer.removeEventListener("abort", forward) };
}

export function createSyncEngine(deps: SyncEngineDeps) {
  const tuning: SyncTuning = { ...DEFAULT_TUNING, ...deps.tuning };
  const guard = deps.guard ?? (<T>(_: string, fn: () => Promise<T>) => fn());
  const amazonClock = deps.amazonClock ?? deps.clock;

  async function account(accountId: string) {
    const info = await readConnection(deps.db, accountId);
    if (!info || info.status === "closed") throw new AppError("ACCOUNT_NOT_FOUND");
    if (info.status === "authorization_revoked") throw new AppError("SPAPI_AUTHORIZATION_REVOKED");
    const row = await deps.db
      .selectFrom("seller_accounts")
      .select("selling_partner_id")
      .where("id", "=", accountId)
      .executeTakeFirst();
    return {
      features: info.features,
      authorizedAt: info.authorizedAt,
      marketplaces: info.marketplaces,
      sellingPartnerId: row?.selling_partner_id ?? null,
    };
  }

  async function run(accountId: string, options: SyncRunOptions = {}): Promise<SyncSummary> {
    const follow = followSignal(options.signal, tuning);
    try {
      return await runFollowing(accountId, { ...options, signal: follow.signal });
    } finally {
      follow.release();
    }
  }

  async function runFollowing(accountId: string, options: SyncRunOptions): Promise<SyncSummary> {
    const started = deps.clock.now();
    const wallStart = performance.now();
    const bound = boundToSignal(deps, options.signal);
    // After an abort, whatever a cut-short call threw (a broken document stream, say) is the abort.
    const codeOf = (err: unknown) => (options.signal?.aborted ? "SYNC_ABORTED" : errorCode(err));
    const streams: StreamSummary[] = [];
    let stopCode: string | undefined;
    const finish = async (): Promise<SyncSummary> => {
      const finished = deps.clock.now();
      const ok = stopCode === undefined && streams.every((s) => s.status !== "failed");
      await deps.audit.record({
        action: "sync.run",
        actor: ACTOR,
        outcome: ok ? "success" : "failure",
        target: {
          account: accountId,
          streams: streams.map((s) => `${s.stream}:${s.status}`).join(","),
        },
        ...(ok ? {} : { reason: stopCode ?? streams.find((s) => s.errorCode)?.errorCode ?? "INTERNAL" }),
      });
      return {
        accountId,
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        durationMs: Math.round(performance.now() - wallStart),
        ok,
        ...(stopCode ? { errorCode: stopCode } : {}),
        streams,
      };
    };

    let info: Awaited<ReturnType<typeof account>>;
    try {
      info = await account(accountId);
      if (info.marketplaces.length === 0 && info.features.length > 0) {
        const participations = await guard(accountId, () =>
          getMarketplaceParticipations(bound.client, accountId, { actor: ACTOR }),
        );
        info.marketplaces = participations
          .filter((p) => p.participation.isParticipating)
          .map((p) => p.marketplace.id);
      }
    } catch (err) {
      stopCode = codeOf(err);
      return finish();
    }

    const wanted = options.streams ?? STREAMS;
    for (const stream of STREAMS) {
      if (!wanted.includes(stream)) continue;
      const counts = emptyCounts();
      const base = { stream, durationMs: 0, ...counts };
      if (stopCode) {
        streams.push({ ...base, status: "skipped", skippedReason: stopCode });
        continue;
      }
      if (!info.features.includes(STREAM_FEATURE[stream])) {
        streams.push({ ...base, status: "skipped", skippedReason: "FEATURE_DISABLED" });
        continue;
      }
      const t0 = performance.now();
      const partial = {
        signal: options.signal,
        sleep: bound.sleep,
        tuning,
        counts,
        accountId,
      };
      const ctx: StreamContext = {
        ...partial,
        db: deps.db,
        fields: deps.fields,
        client: bound.client,
        transport: bound.transport,
        clock: deps.clock,
        amazonClock,
        features: info.features,
        authorizedAt: info.authorizedAt,
        marketplaces: info.marketplaces,
        sellingPartnerId: info.sellingPartnerId,
        full: options.full === true,
        progress: (phase, done, total) =>
          options.onProgress?.({
            accountId,
            stream,
            phase,
            done,
            ...(total === undefined ? {} : { total }),
            fetched: counts.fetched,
          }),
        call: callWith(partial, guard),
      };
      let code: string | undefined;
      try {
        checkAborted(options.signal);
        await RUNNERS[stream](ctx);
      } catch (err) {
        code = codeOf(err);
        // The cursor stays where the last stored page left it: nothing stored is lost.
        await recordSyncError(deps.db, { accountId, stream, code, now: deps.clock.now() }).catch(() => {});
        if (STOPS_ACCOUNT.has(code)) stopCode = code;
      }
      await addThrottled(deps.db, {
        accountId,
        stream,
        count: counts.throttled,
        now: deps.clock.now(),
      }).catch(() => {});
      streams.push({
        ...base,
        ...counts,
        status: code ? "failed" : "ok",
        durationMs: Math.round(performance.now() - t0),
        ...(code ? { errorCode: code } : {}),
      });
    }
    return finish();
  }

  return { run };
}

export type SyncEngine = ReturnType<typeof createSyncEngine>;
