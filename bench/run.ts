/**
 * Benchmark runner: `npm run bench` runs every suite, `npm run bench -- <name> ...` only those named.
 * Each suite's result goes to bench/results/<name>.json; the summary goes to stdout, progress to stderr.
 */
import process from "node:process";
import { progressFor } from "./lib/progress.js";
import { machineInfo, type SuiteResult, summaryTable, writeResult } from "./lib/report.js";
import type { Suite } from "./lib/suite.js";
import { api } from "./suites/api.js";
import { foundation } from "./suites/foundation.js";
import { protection } from "./suites/protection.js";
import { retention } from "./suites/retention.js";
import { spapi } from "./suites/spapi.js";
import { sync } from "./suites/sync.js";

const SUITES: readonly Suite[] = [foundation, protection, spapi, api, retention, sync];

/**
 * Hard bound on a whole run (all six suites take about 10 minutes here): a hung server or socket must not
 * keep a shared machine busy. BENCH_DEADLINE_MINUTES raises it for the full-size runs (1M orders).
 */
const RUN_DEADLINE_MS = Number(process.env.BENCH_DEADLINE_MINUTES ?? 15) * 60_000;
/** After the last suite, everything should be closed; a live handle past this is a leak. */
const EXIT_GRACE_MS = 10_000;

function selectSuites(names: readonly string[]): Suite[] {
  if (names.length === 0) return [...SUITES];
  const unknown = names.filter((name) => !SUITES.some((suite) => suite.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown suite ${unknown.join(", ")} (known: ${SUITES.map((s) => s.name).join(", ")})`);
  }
  return SUITES.filter((suite) => names.includes(suite.name));
}

/** Runs one suite and writes its JSON; a failed suite's file records the error, so no stale figures remain. */
async function runSuite(suite: Suite): Promise<boolean> {
  const progress = progressFor(suite.name);
  progress(`start: ${suite.description}`);
  const timestamp = new Date().toISOString();
  const started = performance.now();
  const base = () => ({
    suite: suite.name,
    timestamp,
    node: process.version,
    machine: machineInfo(),
    durationSeconds: Math.round((performance.now() - started) / 100) / 10,
  });
  let result: SuiteResult;
  try {
    const output = await suite.run({ progress });
    result = { ...base(), ...output }; // after the run: base() stamps the duration
  } catch (err) {
    process.stderr.write(
      `[bench ${suite.name}] FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    const error = err instanceof Error ? err.message : String(err);
    const failed: SuiteResult = {
      ...base(),
      error,
      config: {},
      measurements: {},
      ratios: {},
      skipped: {},
      notes: [],
    };
    progress(`wrote ${await writeResult(failed)} (failure record)`);
    return false;
  }
  progress(`wrote ${await writeResult(result)}`);
  process.stdout.write(`${summaryTable(result)}\n\n`);
  return true;
}

async function main(args: readonly string[]): Promise<number> {
  const suites = selectSuites(args.filter((arg) => arg !== "--"));
  let failed = 0;
  for (const suite of suites) {
    if (!(await runSuite(suite))) failed++;
  }
  if (failed > 0) process.stderr.write(`[bench] ${failed} of ${suites.length} suite(s) failed\n`);
  return failed > 0 ? 1 : 0;
}

const deadline = setTimeout(() => {
  process.stderr.write(`[bench] still running after ${RUN_DEADLINE_MS / 1000} s: giving up\n`);
  process.exit(1);
}, RUN_DEADLINE_MS);
deadline.unref();

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    clearTimeout(deadline);
    setTimeout(() => {
      process.stderr.write(
        `[bench] open handles after the last suite: ${process.getActiveResourcesInfo().join(", ")}\n`,
      );
      process.exit(1);
    }, EXIT_GRACE_MS).unref();
  },
  (err: unknown) => {
    process.stderr.write(`[bench] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
