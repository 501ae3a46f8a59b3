/**
 * Sync (issue 6): the engine's two-year backfill against the time-scaled sandbox, in Amazon time, beside the
 * lower bound the usage plans set for the calls it made and beside a naive searchOrders paging backfill;
 * ingest into the product's store beside plain inserts of the same rows; peak RSS of a 200,000-order
 * backfill in a process of its own.
 */
import path from "node:path";
import process from "node:process";
import { BASE_PROCESSING_MS, QUEUE_MS } from "../../sandbox/reports-routes.js";
import { type SpApiOperation, USAGE_PLANS } from "../../src/amazon/usage-plans.js";
import { MS } from "../../src/platform/clock.js";
import { tempDir } from "../lib/fixtures.js";
import type { Progress } from "../lib/progress.js";
import { type Measurement, measurement, type Ratio, ratio, type SuiteOutput } from "../lib/report.js";
import { round } from "../lib/stats.js";
import type { Suite } from "../lib/suite.js";
import {
  BENCH_FEATURES,
  openBenchSync,
  runEngineBackfill,
  runNaiveBackfill,
  startBenchSandbox,
} from "./sync-backfill.js";
import { ingestRound, orderPages, PAGE } from "./sync-ingest.js";
import { MB, memoryRun } from "./sync-memory.js";

const CONFIG = {
  orders: 50_000,
  /**
   * Amazon seconds per real second for the engine's backfill. The work done between calls (gunzip, parse,
   * upserts) counts scale-fold in Amazon time, so this stays low: demo mode's scale.
   */
  timeScale: Number(process.env.SYNC_BENCH_TIME_SCALE ?? 30),
  /** The naive run only waits for searchOrders tokens (one per 180 Amazon s): it can run much faster. */
  naiveTimeScale: 3_600,
  rounds: Number(process.env.SYNC_BENCH_ROUNDS ?? 1),
  ingestOrders: 10_000,
  ingestRounds: 2,
  /** The memory target is for 200,000 orders (about a minute here); SYNC_BENCH_MEMORY_ORDERS changes it. */
  memoryOrders: Number(process.env.SYNC_BENCH_MEMORY_ORDERS ?? 200_000),
  memoryTargetOrders: 200_000,
  /** Memory does not depend on the scale; a high one keeps report waits short. */
  memoryTimeScale: 60,
} as const;

interface Bound {
  /** Amazon ms the usage plans need at least for these calls: max over operations of (count - burst) / rate. */
  planMs: number;
  limiting: string;
  /** The plan bound of createReport plus the sandbox's generation time of the last report requested. */
  criticalPathMs: number;
}

function boundOf(calls: Record<string, number>, orders: number, windowDays: number): Bound {
  let planMs = 0;
  let limiting = "none";
  const perOperation = (operation: string) => {
    const plan = USAGE_PLANS[operation as SpApiOperation];
    const count = calls[operation] ?? 0;
    return plan ? (Math.max(0, count - plan.burst) / plan.rate) * 1000 : 0;
  };
  for (const operation of Object.keys(calls)) {
    const ms = perOperation(operation);
    if (ms > planMs) [planMs, limiting] = [ms, operation];
  }
  // No client can read a report before Amazon has built it: the last one requested is built after its request.
  const lastReport =
    QUEUE_MS + BASE_PROCESSING_MS + Math.round((orders * (windowDays / 730)) / 1000) * MS.second;
  return { planMs, limiting, criticalPathMs: Math.max(planMs, perOperation("createReport") + lastReport) };
}

interface BackfillFigures {
  engine: number[];
  bound: number[];
  criticalPath: number[];
  naive: number[];
  naiveBound: number[];
  details: Record<string, unknown>[];
}

async function backfillRounds(progress: Progress): Promise<BackfillFigures> {
  const out: BackfillFigures = {
    engine: [],
    bound: [],
    criticalPath: [],
    naive: [],
    naiveBound: [],
    details: [],
  };
  for (let r = 1; r <= CONFIG.rounds; r++) {
    // Both sandboxes end their history at the same moment: they serve the same orders.
    const dataEnd = new Date(Date.now() - MS.minute).toISOString();
    const tmp = tempDir("sp-bench-sync-");
    try {
      const sandbox = await startBenchSandbox({
        orders: CONFIG.orders,
        timeScale: CONFIG.timeScale,
        dataEnd,
      });
      let engine: Awaited<ReturnType<typeof runEngineBackfill>>;
      try {
        const sync = await openBenchSync(sandbox, path.join(tmp.dir, "engine"));
        try {
          engine = await runEngineBackfill(sync, (done) => {
            if (done % 5 === 0) progress(`round ${r}: engine backfill, ${done} windows stored`);
          });
        } finally {
          await sync.close();
        }
      } finally {
        await sandbox.stop();
      }
      if (engine.orders < CONFIG.orders * 0.999) {
        throw new Error(`the engine stored ${engine.orders} of ${CONFIG.orders} orders`);
      }
      const bound = boundOf(engine.calls, CONFIG.orders, 30);
      progress(
        `round ${r}: engine ${(engine.amazonMs / 1000).toFixed(0)} Amazon s (${(engine.realMs / 1000).toFixed(1)} real s), ` +
          `plan bound ${(bound.planMs / 1000).toFixed(0)} s (${bound.limiting}), calls ${JSON.stringify(engine.calls)}`,
      );

      const naiveSandbox = await startBenchSandbox({
        orders: CONFIG.orders,
        timeScale: CONFIG.naiveTimeScale,
        dataEnd,
      });
      let naive: Awaited<ReturnType<typeof runNaiveBackfill>>;
      try {
        const sync = await openBenchSync(naiveSandbox, path.join(tmp.dir, "naive"));
        try {
          naive = await runNaiveBackfill(sync, (pages) => {
            if (pages % 100 === 0) progress(`round ${r}: naive backfill, ${pages} pages`);
          });
        } finally {
          await sync.close();
        }
      } finally {
        await naiveSandbox.stop();
      }
      const naiveBound = boundOf({ searchOrders: naive.pages }, CONFIG.orders, 30).planMs;
      progress(
        `round ${r}: naive ${(naive.amazonMs / 1000).toFixed(0)} Amazon s for ${naive.pages} pages ` +
          `(${(naive.realMs / 1000).toFixed(1)} real s; its plan bound ${(naiveBound / 1000).toFixed(0)} s)`,
      );
      out.engine.push(engine.amazonMs / 1000);
      out.bound.push(bound.planMs / 1000);
      out.criticalPath.push(bound.criticalPathMs / 1000);
      out.naive.push(naive.amazonMs / 1000);
      out.naiveBound.push(naiveBound / 1000);
      out.details.push({
        calls: engine.calls,
        limiting: bound.limiting,
        ordersStored: engine.orders,
        itemsStored: engine.items,
        engineRealSeconds: round(engine.realMs / 1000, 1),
        naivePages: naive.pages,
        naiveOrders: naive.orders,
        naiveRealSeconds: round(naive.realMs / 1000, 1),
      });
    } finally {
      tmp.remove();
    }
  }
  return out;
}

async function ingestRounds(progress: Progress) {
  const pages = orderPages(CONFIG.ingestOrders, Date.now() - MS.day);
  const rounds = [];
  for (let r = 1; r <= CONFIG.ingestRounds; r++) {
    const tmp = tempDir("sp-bench-sync-ingest-");
    try {
      rounds.push(await ingestRound(tmp.dir, pages));
    } finally {
      tmp.remove();
    }
    const last = rounds.at(-1);
    progress(
      `ingest round ${r}: store ${last?.storeRate.toFixed(0)} orders/s, plain ${last?.plainRate.toFixed(0)}, ` +
        `plain into SQLCipher ${last?.cipherPlainRate.toFixed(0)} (${last?.items} items, ${last?.sealedOrders} sealed)`,
    );
  }
  return rounds;
}

async function measure(progress: Progress): Promise<SuiteOutput> {
  const backfill = await backfillRounds(progress);
  const ingest = await ingestRounds(progress);
  const memory = await memoryRun(
    { orders: CONFIG.memoryOrders, timeScale: CONFIG.memoryTimeScale },
    progress,
  );
  progress(
    `memory run: ${memory.orders} orders in ${(memory.realMs / 1000).toFixed(1)} s, maxRSS ${(memory.maxRss / MB).toFixed(0)} MB`,
  );

  const seconds = (description: string, values: number[]) => measurement("s", description, values);
  const rate = (description: string, values: number[]) => measurement("orders/s", description, values);
  const measurements: Record<string, Measurement> = {
    backfillAmazonTime: seconds(
      `engine: first sync of the orders stream (${CONFIG.orders} orders, two years: report windows, FBM details, incremental pass), Amazon s`,
      backfill.engine,
    ),
    backfillBound: seconds(
      "lower bound for the engine's calls: max over operations of (successful calls - burst) / rate, Amazon s",
      backfill.bound,
    ),
    backfillCriticalPath: seconds(
      "createReport's bound plus the sandbox's time to build the last report (queue 30 s, 60 s + 1 s per 1000 orders), Amazon s",
      backfill.criticalPath,
    ),
    naiveAmazonTime: seconds(
      "naive backfill: searchOrders paging over the same two years, 100 a page, through the real client, Amazon s",
      backfill.naive,
    ),
    naiveBound: seconds(
      "the naive backfill's own bound: (pages - 20) / 0.0056, Amazon s",
      backfill.naiveBound,
    ),
    ingestStore: rate(
      `upsertOrders per ${PAGE}-order page into SQLCipher (read, merge, write, seal FBM buyer data) + the page's audit event`,
      ingest.map((r) => r.storeRate),
    ),
    ingestPlain: rate(
      "prepared INSERTs of the rows the store ended with, same pages per transaction, unencrypted SQLite file",
      ingest.map((r) => r.plainRate),
    ),
    ingestPlainIntoCipher: rate(
      "the same prepared INSERTs into a SQLCipher file (the cipher's share of the cost)",
      ingest.map((r) => r.cipherPlainRate),
    ),
    peakRss: measurement(
      "MB",
      `maxRSS of a process doing only a ${CONFIG.memoryOrders}-order backfill (runtime, SP-API client, engine), 10^6 bytes`,
      [memory.maxRss / MB],
    ),
    sampledPeakRss: measurement("MB", "highest RSS sampled every 50 ms during that backfill", [
      memory.sampledPeakRss / MB,
    ]),
    baselineRss: measurement(
      "MB",
      "RSS of that process before the backfill started (runtime open, seller connected; from source under tsx)",
      [memory.baselineRss / MB],
    ),
    peakHeapTotal: measurement("MB", "largest V8 heapTotal sampled during that backfill", [
      memory.peakHeapTotal / MB,
    ]),
    megabyte: measurement("MB", "the unit, so that peakRssMb reads in MB", [1]),
  };
  const ratios: Record<string, Ratio | null> = {
    backfillVsBound: ratio(
      measurements,
      "backfillAmazonTime",
      "backfillBound",
      "engine Amazon time / usage-plan bound of the same calls; target <= 1.2",
    ),
    backfillVsCriticalPath: ratio(
      measurements,
      "backfillAmazonTime",
      "backfillCriticalPath",
      "diagnostic: engine Amazon time / the bound including the last report's build time",
    ),
    speedupVsNaive: ratio(
      measurements,
      "naiveAmazonTime",
      "backfillAmazonTime",
      "naive searchOrders paging / engine, Amazon time; target >= 20",
    ),
    naiveVsItsBound: ratio(
      measurements,
      "naiveAmazonTime",
      "naiveBound",
      "diagnostic: close to 1 means the naive run was rate-bound, not slowed by the time scale",
    ),
    ingestVsRaw: ratio(
      measurements,
      "ingestStore",
      "ingestPlain",
      "orders/s into the product's store / plain inserts of the same rows; target >= 0.5",
    ),
    cipherInsertVsRaw: ratio(
      measurements,
      "ingestPlainIntoCipher",
      "ingestPlain",
      "diagnostic: the same plain inserts into SQLCipher / unencrypted",
    ),
    peakRssMb: ratio(
      measurements,
      "peakRss",
      "megabyte",
      "peak RSS in MB of the 200,000-order backfill; target < 300",
    ),
  };
  return {
    config: {
      ...CONFIG,
      features: BENCH_FEATURES,
      backfillRounds: backfill.details,
      ingest: ingest.map((r) => ({ orders: r.orders, items: r.items, sealedOrders: r.sealedOrders })),
      memory: {
        orders: memory.orders,
        items: memory.items,
        realSeconds: round(memory.realMs / 1000, 1),
        atTarget: CONFIG.memoryOrders >= CONFIG.memoryTargetOrders,
      },
    },
    measurements,
    ratios,
    skipped: {},
    notes: [
      `time scales: the engine's backfill ${CONFIG.timeScale}x (demo mode's), the naive one ${CONFIG.naiveTimeScale}x, the memory run ${CONFIG.memoryTimeScale}x; ${CONFIG.rounds} backfill round(s) (SYNC_BENCH_ROUNDS), ${CONFIG.ingestRounds} ingest rounds of ${CONFIG.ingestOrders} orders, one memory run of ${CONFIG.memoryOrders} orders (the target is for ${CONFIG.memoryTargetOrders}: SYNC_BENCH_MEMORY_ORDERS=${CONFIG.memoryTargetOrders} runs it; storing is CPU-bound, so no time scale shortens it)`,
      "Amazon time = real time x scale, so real CPU work between calls (gunzip, parse, upserts) weighs scale-fold, and so does CPU taken by other jobs on the machine. Trial runs of the same backfill: 60x 1182-1285 Amazon s (CPU-bound), 30x 739-1004 s over seven runs (load average 4-6 on 2 cores), 20x 811 s",
      "the bound counts only calls that succeeded, from the client's audit events; buckets start full. backfillVsCriticalPath adds what no client can avoid: the last report is built 90+ s after it is requested",
      "the naive backfill stores nothing (a lower bound of its time: storing at this scale would count real ms as Amazon minutes), so speedupVsNaive is conservative",
      "ingest pages are generated by the sandbox's own data generator and views, zod-parsed and mapped by the real mapper; each page is stored as of its newest update so FBM buyer data is within retention and sealed",
      "peak RSS follows the V8 heap: over three runs peakHeapTotal 113/133/183 MB gave maxRSS 258/268/328 MB on a baseline of 165 MB (the child runs from source under tsx; heapUsed after a GC is back near 27 MB, so it is garbage not yet collected, not a leak)",
      "the sandbox runs as its own process (startDemoSandbox); the SP-API runtime is openSpApi over a real runtime (SQLCipher, vault, audit log), the seller connected through ConnectService.storeAuthorization",
    ],
  };
}

export const sync: Suite = {
  name: "sync",
  description:
    "Sync engine: backfill vs usage-plan bound and naive paging (Amazon time), ingest vs plain SQLite, peak RSS",
  run: ({ progress }) => measure(progress),
};
