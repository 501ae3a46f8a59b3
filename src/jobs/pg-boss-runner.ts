import { sql } from "kysely";
import PgBoss from "pg-boss";
import type { Database } from "../db/database.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import type { Logger } from "../platform/logger.js";
import {
  accountOf,
  checkJobName,
  errorCodeOf,
  handlerOptions,
  isRetryable,
  isRevocation,
  scheduleSingletonKey,
} from "./job-outcome.js";
import { createJobRegistry } from "./job-registry.js";
import * as schedules from "./job-schedules-repo.js";
import { type EnqueueOptions, JOB_DEFAULTS, type JobPayload, type JobRunner } from "./jobs-types.js";
import { allowOneMoreTry, queueOptions, sanitizedFailure, txDb } from "./pg-boss-adapters.js";

export interface PgBossRunnerDeps {
  database: Pick<Database, "db" | "kind">;
  /** The same PostgreSQL database; pg-boss opens (and on stop closes) its own small pool on it. */
  connectionString: string;
  clock: Clock;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  /** Jobs running at once in this process, per job name (default 4). */
  concurrency?: number;
  /** Real-time interval of the schedule loop started by start() (default 1 s). */
  tickMs?: number;
  /** How often idle workers ask for work (default 2 s; pg-boss's minimum is 0.5 s). */
  pollingIntervalSeconds?: number;
  /** pg-boss's own schema in the database (default sp_jobs). */
  schema?: string;
  poolSize?: number;
}

/** What each pg-boss job carries: the account is outside the payload so a pause can find its jobs. */
interface JobData {
  accountId: string | null;
  payload: JobPayload;
}

type AbortReason = "stop" | "pause" | "timeout";

interface InFlight {
  accountId: string | null;
  controller: AbortController;
  reason: AbortReason | null;
  done: Promise<void>;
}

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The runner of PostgreSQL deployments with any number of worker processes. pg-boss (its own schema) holds
 * the queue, retries with backoff, expiry of abandoned tries and delivery of each job to one worker; the
 * schedules, their status and account pauses stay in our tables, shared with the in-process runner.
 */
export function createPgBossRunner(deps: PgBossRunnerDeps): JobRunner {
  const { db } = deps.database;
  const { clock, logger } = deps;
  const schema = deps.schema ?? "sp_jobs";
  if (!SCHEMA_PATTERN.test(schema)) throw new RangeError("schema must be a plain lower-case identifier");
  const concurrency = deps.concurrency ?? JOB_DEFAULTS.concurrency;
  const tickMs = deps.tickMs ?? JOB_DEFAULTS.tickMs;
  const jobTable = sql.table(`${schema}.job`);
  const registry = createJobRegistry({ db, clock });
  const { handlers } = registry;
  const inFlight = new Map<string, InFlight>();
  const queues = new Map<string, Promise<void>>();
  const workerIds = new Map<string, string[]>();
  let boss: PgBoss | null = null;
  let booting: Promise<PgBoss> | null = null;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;

  /** pg-boss starts on first use (it creates or migrates its schema), not only in start(). */
  function ready(): Promise<PgBoss> {
    if (stopping) return Promise.reject(new AppError("SYNC_ABORTED"));
    if (!booting) {
      const instance = new PgBoss({
        connectionString: deps.connectionString,
        schema,
        max: deps.poolSize ?? 4,
        application_name: "seller-pilot-jobs",
        // Our schedules live in job_schedules (fired by the injected clock); pg-boss's cron is not used.
        schedule: false,
        ...(deps.pollingIntervalSeconds !== undefined
          ? { pollingIntervalSeconds: deps.pollingIntervalSeconds }
          : {}),
      });
      instance.on("error", (err) => logger.error({ err }, "job queue (pg-boss) error"));
      booting = instance.start().then(
        () => {
          boss = instance;
          return instance;
        },
        (err: unknown) => {
          // Not reachable now (e.g. the database restarting): the next use tries again.
          booting = null;
          throw err;
        },
      );
    }
    return booting;
  }

  function ensureQueue(instance: PgBoss, name: string): Promise<void> {
    let created = queues.get(name);
    if (!created) {
      const registered = handlers.get(name);
      const options = { name, ...queueOptions(registered?.options ?? handlerOptions()) };
      created = (async () => {
        if (!(await instance.getQueue(name))) {
          // Creating a queue attaches a partition to pg-boss's job table; two processes doing it at once
          // can deadlock, so creation is serialized on a lock held by one of our transactions.
          await db.transaction().execute(async (trx) => {
            await sql`SELECT pg_advisory_xact_lock(hashtext('sp-jobs:create-queue'))`.execute(trx);
            await instance.createQueue(name, options);
          });
        }
        // An existing queue keeps its first settings otherwise; a changed handler option should apply.
        if (registered) await instance.updateQueue(name, options);
      })();
      created.catch(() => queues.delete(name));
      queues.set(name, created);
    }
    return created;
  }

  async function enqueue(name: string, payload: JobPayload, options: EnqueueOptions = {}) {
    checkJobName(name);
    const accountId = accountOf(payload, options.accountId);
    if (accountId !== null && (await schedules.isPaused(db, accountId))) {
      throw new AppError("JOB_ACCOUNT_PAUSED");
    }
    const instance = await ready();
    await ensureQueue(instance, name);
    const registered = handlers.get(name);
    const data: JobData = { accountId, payload };
    const sendOptions: PgBoss.SendOptions = {
      ...(registered ? queueOptions(registered.options) : {}),
      ...(options.runAt ? { startAfter: options.runAt } : {}),
    };
    const key = options.singletonKey;
    if (key === undefined) return await instance.send(name, data, sendOptions);
    // pg-boss's singleton policies allow one queued *and* one running job per key; ours allows one of
    // either. The check and the insert share a transaction under a lock on the key, so two processes
    // enqueuing at once cannot both pass the check.
    return await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`sp-job:${key}`}))`.execute(trx);
      const existing = await sql<{ id: string }>`
        SELECT id FROM ${jobTable} WHERE singleton_key = ${key} AND state < 'completed' LIMIT 1`.execute(trx);
      if (existing.rows.length > 0) return null;
      return await instance.send(name, data, { ...sendOptions, singletonKey: key, db: txDb(trx) });
    });
  }

  async function fireDue(): Promise<number> {
    let fired = 0;
    // The conditional UPDATE of next_run_at in claimDueSchedules makes each due time fire in one process.
    for (const due of await schedules.claimDueSchedules(db, clock.now())) {
      const payload = due.accountId === null ? due.payload : { ...due.payload, accountId: due.accountId };
      try {
        const id = await enqueue(due.name, payload, {
          singletonKey: scheduleSingletonKey(due.name, due.accountId),
          ...(due.accountId === null ? {} : { accountId: due.accountId }),
        });
        if (id !== null) {
          fired += 1;
          for (const worker of workerIds.get(due.name) ?? []) boss?.notifyWorker(worker);
        }
      } catch (err) {
        // Paused between the claim and here: the pause wins, the slot is simply skipped.
        if (!(err instanceof AppError && err.code === "JOB_ACCOUNT_PAUSED")) throw err;
      }
    }
    return fired;
  }

  function abort(entry: InFlight, reason: AbortReason): void {
    if (entry.reason !== null) return;
    entry.reason = reason;
    entry.controller.abort(new AppError("SYNC_ABORTED"));
  }

  /** A try cut short by this process stopping, not failed: pg-boss queues it again, the try not counted. */
  async function interrupted(job: PgBoss.JobWithMetadata<JobData>): Promise<Error> {
    await allowOneMoreTry(db, schema, job.id);
    logger.info(
      { job: job.name, jobId: job.id, accountId: job.data.accountId },
      "job interrupted; queued again",
    );
    return sanitizedFailure("SYNC_ABORTED");
  }

  /** One try of one job; a thrown (sanitized) error tells pg-boss to retry it or mark it failed. */
  async function runTry(job: PgBoss.JobWithMetadata<JobData>): Promise<object | undefined> {
    const registered = handlers.get(job.name);
    const accountId = job.data.accountId;
    // Fetched while this process was stopping: back to the queue for the next worker.
    if (stopping) throw await interrupted(job);
    // Queued before its account was paused (pause dropped the rest): dropped, as the pause intends.
    if (accountId !== null && (await schedules.isPaused(db, accountId))) return { dropped: "paused" };
    const attempt = job.retryCount + 1;
    const startedAt = clock.now();
    const controller = new AbortController();
    const entry: InFlight = { accountId, controller, reason: null, done: Promise.resolve() };
    const limit = registered?.options.timeoutMs ?? JOB_DEFAULTS.timeoutMs;
    // Told to stop a little before pg-boss gives up on the try, so the handler can end cleanly.
    const overtime = setTimeout(() => abort(entry, "timeout"), Math.max(500, limit - 1000));
    overtime.unref();
    let release!: () => void;
    entry.done = new Promise<void>((resolve) => {
      release = resolve;
    });
    inFlight.set(job.id, entry);
    const outcome = (errorCode: string | null) =>
      schedules.recordOutcome(db, {
        name: job.name,
        accountId,
        startedAt,
        finishedAt: clock.now(),
        errorCode,
      });
    try {
      if (!registered) throw new AppError("JOB_UNKNOWN");
      logger.debug({ job: job.name, jobId: job.id, accountId, attempt }, "job started");
      await registered.handler({
        id: job.id,
        name: job.name,
        payload: job.data.payload,
        accountId,
        attempt,
        signal: controller.signal,
      });
      await outcome(null);
      return undefined;
    } catch (error) {
      if (entry.reason === "pause") return { dropped: "paused" };
      if (entry.reason === "stop") throw await interrupted(job);
      const code = errorCodeOf(error);
      const log = { job: job.name, jobId: job.id, accountId, attempt, code };
      const detail = code === "JOB_FAILED" ? { err: error } : {};
      await outcome(code);
      if (isRevocation(error) && accountId !== null) {
        logger.warn(log, "authorization revoked: the account's jobs are paused");
        await pauseAccount(accountId, code);
        return { failed: code };
      }
      if (!isRetryable(error)) {
        // Completed, not failed, in pg-boss: another try cannot help, and our status holds the code.
        logger.error({ ...log, ...detail }, "job failed");
        return { failed: code };
      }
      if (attempt < job.retryLimit + 1) logger.warn({ ...log, ...detail }, "job failed; retrying");
      else logger.error({ ...log, ...detail }, "job failed");
      throw sanitizedFailure(code);
    } finally {
      clearTimeout(overtime);
      inFlight.delete(job.id);
      release();
    }
  }

  async function pauseAccount(accountId: string, code: string): Promise<void> {
    await schedules.pauseAccount(db, accountId, code, clock.now());
    if (await queueExists()) {
      await sql`
        UPDATE ${jobTable} SET state = 'cancelled', completed_on = now()
        WHERE data->>'accountId' = ${accountId} AND state < 'active'`.execute(db);
    }
    for (const entry of inFlight.values()) if (entry.accountId === accountId) abort(entry, "pause");
  }

  async function queueExists(): Promise<boolean> {
    if (boss) return true;
    const found = await sql<{
      t: string | null;
    }>`SELECT to_regclass(${`${schema}.job`}::text)::text AS t`.execute(db);
    return found.rows[0]?.t != null;
  }

  async function pendingKeys(): Promise<Set<string>> {
    if (!(await queueExists())) return new Set();
    const rows = await sql<{ singleton_key: string }>`
      SELECT DISTINCT singleton_key FROM ${jobTable}
      WHERE state < 'completed' AND singleton_key IS NOT NULL`.execute(db);
    return new Set(rows.rows.map((r) => r.singleton_key));
  }

  return {
    kind: "pg-boss",
    ...registry.api,
    enqueue,
    async start() {
      if (timer) return;
      stopping = false;
      const instance = await ready();
      for (const name of handlers.keys()) {
        await ensureQueue(instance, name);
        const ids: string[] = [];
        // One worker per slot: each fetches one job at a time, so a slow job does not hold back others.
        for (let i = 0; i < concurrency; i += 1) {
          ids.push(
            await instance.work<JobData>(name, { includeMetadata: true, batchSize: 1 }, async ([job]) =>
              job ? await runTry(job) : undefined,
            ),
          );
        }
        workerIds.set(name, ids);
      }
      const pass = () =>
        fireDue().then(
          () => undefined,
          (err: unknown) => logger.error({ err }, "job schedule pass failed"),
        );
      timer = setInterval(pass, tickMs);
      timer.unref();
      // What was due at start-up is queued before start() resolves.
      await pass();
    },
    async stop(options = {}) {
      stopping = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      const grace = options.timeoutMs ?? JOB_DEFAULTS.stopTimeoutMs;
      const began = Date.now();
      // No new fetches from here on; the jobs already running are told to stop.
      const current = boss;
      if (current) await Promise.all([...workerIds.keys()].map((name) => current.offWork(name)));
      const running = [...inFlight.values()];
      for (const entry of running) abort(entry, "stop");
      let timeout: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, grace);
      });
      await Promise.race([Promise.allSettled(running.map((e) => e.done)), expired]);
      clearTimeout(timeout);
      const starting = booting;
      booting = null;
      boss = null;
      queues.clear();
      workerIds.clear();
      if (!starting) return;
      const instance = await starting.catch(() => null);
      // Jobs still running past the grace period are failed back to the queue by pg-boss (they retry).
      await instance?.stop({
        graceful: true,
        wait: true,
        close: true,
        timeout: Math.max(1000, grace - (Date.now() - began)),
      });
    },
    async runDue() {
      if (stopping) return 0;
      return await fireDue();
    },
    pauseAccount,
    async resumeAccount(accountId) {
      await schedules.resumeAccount(db, accountId, clock.now());
    },
    pausedAccounts: () => schedules.listPauses(db),
    async status(filter = {}) {
      const [rows, pending] = await Promise.all([schedules.listSchedules(db, filter), pendingKeys()]);
      return rows.map((r) => ({ ...r, pending: pending.has(scheduleSingletonKey(r.name, r.accountId)) }));
    },
  };
}
