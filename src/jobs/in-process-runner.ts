import { randomUUID } from "node:crypto";
import type { Database } from "../db/database.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import type { Logger } from "../platform/logger.js";
import {
  accountOf,
  backoffDelayMs,
  checkJobName,
  errorCodeOf,
  handlerOptions,
  isRetryable,
  isRevocation,
  scheduleSingletonKey,
} from "./job-outcome.js";
import { createJobRegistry } from "./job-registry.js";
import {
  cancelQueuedForAccount,
  claimNext,
  finishRun,
  insertRun,
  type JobRunRow,
  pendingSingletonKeys,
  pruneFinished,
  reclaimExpired,
  renewLease,
  requeueRun,
} from "./job-runs-repo.js";
import * as schedules from "./job-schedules-repo.js";
import { JOB_DEFAULTS, type JobPayload, type JobRunner } from "./jobs-types.js";

export interface InProcessRunnerDeps {
  database: Pick<Database, "db" | "kind">;
  clock: Clock;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  /** Jobs running at once in this process (default 4). */
  concurrency?: number;
  /** Real-time interval of the background loop started by start() (default 1 s). */
  tickMs?: number;
}

type AbortReason = "stop" | "pause" | "timeout";

interface InFlight {
  row: JobRunRow;
  lease: string;
  startedMs: number;
  controller: AbortController;
  reason: AbortReason | null;
  done: Promise<void>;
}

/** Finished runs are kept this long for inspection, then deleted. */
const KEEP_FINISHED_MS = 7 * 86_400_000;

/**
 * The runner of the embedded deployment: the queue lives in job_runs, time comes from the Clock. Each try is
 * claimed under a lease the loop renews while the process lives; a process that dies leaves leases that the
 * next one takes over when they expire, so nothing running at a crash is lost.
 */
export function createInProcessRunner(deps: InProcessRunnerDeps): JobRunner {
  const { db } = deps.database;
  const { clock, logger } = deps;
  const concurrency = deps.concurrency ?? JOB_DEFAULTS.concurrency;
  const tickMs = deps.tickMs ?? JOB_DEFAULTS.tickMs;
  const registry = createJobRegistry({ db, clock });
  const { handlers } = registry;
  const inFlight = new Map<string, InFlight>();
  let slots = 0;
  /** Passes of the loop under way: a stop waits for them, so no claim or write outlives it. */
  const passes = new Set<Promise<number>>();
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let lastPruneMs = Number.NEGATIVE_INFINITY;

  const leaseMs = (name: string) => handlers.get(name)?.options.timeoutMs ?? JOB_DEFAULTS.timeoutMs;

  async function enqueue(
    name: string,
    payload: JobPayload,
    options: { singletonKey?: string; accountId?: string; runAt?: Date } = {},
  ): Promise<string | null> {
    checkJobName(name);
    const accountId = accountOf(payload, options.accountId);
    if (accountId !== null && (await schedules.isPaused(db, accountId))) {
      throw new AppError("JOB_ACCOUNT_PAUSED");
    }
    const now = clock.now();
    return await insertRun(db, {
      id: randomUUID(),
      name,
      account_id: accountId,
      payload: JSON.stringify(payload),
      singleton_key: options.singletonKey ?? null,
      max_attempts: handlers.get(name)?.options.maxAttempts ?? JOB_DEFAULTS.maxAttempts,
      run_after: (options.runAt ?? now).toISOString(),
      created_at: now.toISOString(),
    });
  }

  /** Keeps our leases alive, hands expired ones back to the queue, fires due schedules. */
  async function housekeeping(): Promise<void> {
    const now = clock.now();
    for (const entry of [...inFlight.values()]) {
      const limit = leaseMs(entry.row.name);
      // Over its time: tell it to stop and let the lease lapse, so a hung try cannot hold a slot forever.
      if (now.getTime() - entry.startedMs > limit) abort(entry, "timeout");
      else await renewLease(db, entry.row.id, entry.lease, new Date(now.getTime() + limit));
    }
    for (const row of await reclaimExpired(db, now)) {
      logger.warn({ job: row.name, jobId: row.id, code: "JOB_ABANDONED" }, "job abandoned too often; failed");
      await schedules.recordOutcome(db, {
        name: row.name,
        accountId: row.account_id,
        startedAt: new Date(row.started_at ?? now.toISOString()),
        finishedAt: now,
        errorCode: "JOB_ABANDONED",
      });
    }
    for (const due of await schedules.claimDueSchedules(db, now)) {
      const payload = due.accountId === null ? due.payload : { ...due.payload, accountId: due.accountId };
      try {
        await enqueue(due.name, payload, {
          singletonKey: scheduleSingletonKey(due.name, due.accountId),
          ...(due.accountId === null ? {} : { accountId: due.accountId }),
        });
      } catch (err) {
        // Paused between the claim and here: the pause wins, the slot is simply skipped.
        if (!(err instanceof AppError && err.code === "JOB_ACCOUNT_PAUSED")) throw err;
      }
    }
    if (now.getTime() - lastPruneMs > 3_600_000) {
      lastPruneMs = now.getTime();
      await pruneFinished(db, new Date(now.getTime() - KEEP_FINISHED_MS));
    }
  }

  function abort(entry: InFlight, reason: AbortReason): void {
    if (entry.reason !== null) return;
    entry.reason = reason;
    entry.controller.abort(new AppError("SYNC_ABORTED"));
  }

  async function settle(entry: InFlight, error: unknown | null): Promise<void> {
    const { row, lease } = entry;
    const now = clock.now();
    const outcome = (errorCode: string | null) =>
      schedules.recordOutcome(db, {
        name: row.name,
        accountId: row.account_id,
        startedAt: new Date(entry.startedMs),
        finishedAt: now,
        errorCode,
      });
    if (error === null) {
      // A try whose lease was taken over (it outlived it) changes nothing: the row belongs to the new try.
      if (await finishRun(db, row.id, lease, { state: "succeeded", errorCode: null, at: now }))
        await outcome(null);
      return;
    }
    if (entry.reason === "stop" || entry.reason === "pause") {
      // Stopped from outside, not failed: the try does not count, it runs again (after a resume if paused).
      await requeueRun(db, row.id, lease, { runAfter: now, errorCode: null, giveBackAttempt: true });
      if (entry.reason === "stop") {
        logger.info(
          { job: row.name, jobId: row.id, accountId: row.account_id },
          "job interrupted; queued again",
        );
      }
      return;
    }
    const code = errorCodeOf(error);
    const log = { job: row.name, jobId: row.id, accountId: row.account_id, attempt: row.attempts, code };
    const detail = code === "JOB_FAILED" ? { err: error } : {};
    if (isRevocation(error) && row.account_id !== null) {
      if (!(await finishRun(db, row.id, lease, { state: "failed", errorCode: code, at: now }))) return;
      await outcome(code);
      logger.warn(log, "authorization revoked: the account's jobs are paused");
      await pauseAccount(row.account_id, code);
      return;
    }
    const options = handlers.get(row.name)?.options ?? handlerOptions();
    if (isRetryable(error) && row.attempts < row.max_attempts) {
      const runAfter = new Date(now.getTime() + backoffDelayMs(options, row.attempts));
      if (!(await requeueRun(db, row.id, lease, { runAfter, errorCode: code, giveBackAttempt: false })))
        return;
      logger.warn({ ...log, ...detail, retryAt: runAfter.toISOString() }, "job failed; retrying");
    } else {
      if (!(await finishRun(db, row.id, lease, { state: "failed", errorCode: code, at: now }))) return;
      logger.error({ ...log, ...detail }, "job failed");
    }
    await outcome(code);
  }

  async function execute(row: JobRunRow): Promise<void> {
    const registered = handlers.get(row.name);
    const lease = row.lease_owner ?? "";
    const controller = new AbortController();
    const entry: InFlight = {
      row,
      lease,
      startedMs: clock.now().getTime(),
      controller,
      reason: null,
      done: Promise.resolve(),
    };
    const run = async () => {
      let error: unknown | null = null;
      try {
        if (!registered) throw new AppError("JOB_UNKNOWN");
        logger.debug(
          { job: row.name, jobId: row.id, accountId: row.account_id, attempt: row.attempts },
          "job started",
        );
        await registered.handler({
          id: row.id,
          name: row.name,
          payload: JSON.parse(row.payload) as JobPayload,
          accountId: row.account_id,
          attempt: row.attempts,
          signal: controller.signal,
        });
      } catch (err) {
        error = err;
      }
      inFlight.delete(row.id);
      await settle(entry, error);
    };
    entry.done = run();
    inFlight.set(row.id, entry);
    await entry.done;
  }

  /** One worker slot: claims and runs due jobs until none is left or the runner stops. */
  async function slot(): Promise<number> {
    let ran = 0;
    slots += 1;
    try {
      while (!stopping) {
        const row = await claimNext(db, {
          now: clock.now(),
          leaseMsByName: leaseMs,
          names: [...handlers.keys()],
          newLease: () => randomUUID(),
        });
        if (!row) break;
        if (stopping) {
          // Claimed while the runner was being stopped: back to the queue untried, for the next process.
          await requeueRun(db, row.id, row.lease_owner ?? "", {
            runAfter: clock.now(),
            errorCode: null,
            giveBackAttempt: true,
          });
          break;
        }
        await execute(row);
        ran += 1;
      }
    } finally {
      slots -= 1;
    }
    return ran;
  }

  async function pass(): Promise<number> {
    await housekeeping();
    const free = Math.max(0, concurrency - slots);
    const counts = await Promise.all(Array.from({ length: free }, () => slot()));
    return counts.reduce((a, b) => a + b, 0);
  }

  function runDue(): Promise<number> {
    if (stopping) return Promise.resolve(0);
    const running = pass();
    passes.add(running);
    const forget = () => passes.delete(running);
    running.then(forget, forget);
    return running;
  }

  async function pauseAccount(accountId: string, code: string): Promise<void> {
    const now = clock.now();
    await schedules.pauseAccount(db, accountId, code, now);
    await cancelQueuedForAccount(db, accountId, code, now);
    for (const entry of inFlight.values()) if (entry.row.account_id === accountId) abort(entry, "pause");
  }

  return {
    kind: "in-process",
    ...registry.api,
    enqueue,
    async start() {
      stopping = false;
      if (timer) return;
      const tick = () => {
        runDue().catch((err: unknown) => logger.error({ err }, "job loop pass failed"));
      };
      timer = setInterval(tick, tickMs);
      timer.unref();
      tick();
    },
    async stop(options = {}) {
      stopping = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      const running = [...inFlight.values()];
      for (const entry of running) abort(entry, "stop");
      const grace = options.timeoutMs ?? JOB_DEFAULTS.stopTimeoutMs;
      let timeout: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, grace);
      });
      // Jobs still running after the grace period keep their lease; the next process re-runs them.
      await Promise.race([Promise.allSettled([...running.map((e) => e.done), ...passes]), expired]);
      clearTimeout(timeout);
    },
    runDue,
    pauseAccount,
    async resumeAccount(accountId) {
      await schedules.resumeAccount(db, accountId, clock.now());
    },
    pausedAccounts: () => schedules.listPauses(db),
    async status(filter = {}) {
      const [rows, pending] = await Promise.all([
        schedules.listSchedules(db, filter),
        pendingSingletonKeys(db),
      ]);
      return rows.map((r) => ({ ...r, pending: pending.has(scheduleSingletonKey(r.name, r.accountId)) }));
    },
  };
}
