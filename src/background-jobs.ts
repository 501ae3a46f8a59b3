import type { Kysely } from "kysely";
import { listSellerAccounts } from "./accounts/accounts-repo.js";
import type { DB } from "./db/schema.js";
import type { JobRunner } from "./jobs/jobs-types.js";
import { MS } from "./platform/clock.js";
import { AppError, ERROR_CODES, type ErrorCode } from "./platform/errors.js";
import type { SpApiRuntime } from "./spapi-runtime.js";
import { SYNC_JOB } from "./sync/sync-job.js";

/** Each connected account is synced this often; a manual sync (API, CLI) can run in between. */
export const SYNC_EVERY_MS = 15 * MS.minute;
/** Once a day is enough to notice day 150 of the client secret's 180. */
export const CLIENT_SECRET_CHECK_EVERY_MS = MS.day;

export const JOB = { sync: SYNC_JOB, clientSecret: "client-secret-rotation" } as const;

const asCode = (code: string | undefined): ErrorCode =>
  code !== undefined && Object.hasOwn(ERROR_CODES, code) ? (code as ErrorCode) : "INTERNAL";

/**
 * The Amazon-facing background work on the job runner: each account's sync on its schedule (a revoked
 * authorization pauses the account's jobs until it is re-authorized) and the client secret's rotation check.
 */
export function registerAmazonJobs(
  runner: JobRunner,
  spapi: Pick<SpApiRuntime, "sync" | "clientSecret">,
  opts: { rotateClientSecret: boolean },
): void {
  runner.register(
    JOB.sync,
    async (job) => {
      if (!job.accountId) throw new AppError("VALIDATION_FAILED", "A sync job needs its account.");
      const summary = await spapi.sync.run(job.accountId, {
        full: job.payload.full === true,
        signal: job.signal,
      });
      // The runner pauses the account on SPAPI_AUTHORIZATION_REVOKED and retries other failures with backoff.
      if (!summary.ok) {
        throw new AppError(asCode(summary.errorCode ?? summary.streams.find((s) => s.errorCode)?.errorCode));
      }
    },
    { maxAttempts: 3, backoffMs: MS.minute, timeoutMs: 2 * 60 * MS.minute },
  );
  if (opts.rotateClientSecret) {
    runner.register(JOB.clientSecret, async () => {
      await spapi.clientSecret.requestIfDue();
    });
  }
}

/** Schedules what start-up should find scheduled: every active account's sync, paused ones left paused. */
export async function scheduleAmazonJobs(
  runner: JobRunner,
  db: Kysely<DB>,
  opts: { rotateClientSecret: boolean },
): Promise<void> {
  const paused = new Set((await runner.pausedAccounts()).map((p) => p.accountId));
  for (const account of await listSellerAccounts(db)) {
    if (account.status === "active") {
      await runner.schedule(JOB.sync, { accountId: account.id, everyMs: SYNC_EVERY_MS });
    } else if (account.status === "authorization_revoked" && !paused.has(account.id)) {
      await runner.pauseAccount(account.id, "SPAPI_AUTHORIZATION_REVOKED");
    }
  }
  if (opts.rotateClientSecret) {
    await runner.schedule(JOB.clientSecret, { everyMs: CLIENT_SECRET_CHECK_EVERY_MS });
  }
}

/** After a (re-)authorization: the account's jobs run again and its sync starts at once. */
export async function onAccountConnected(runner: JobRunner, accountId: string): Promise<void> {
  await runner.resumeAccount(accountId);
  await runner.schedule(JOB.sync, { accountId, everyMs: SYNC_EVERY_MS });
}

export const MAINTENANCE_JOB = { retention: "retention", incidents: "incident-detection" } as const;
/** The purge runs daily: buyer PII is due 30 days after delivery, so a day's delay is within the promise. */
export const RETENTION_EVERY_MS = MS.day;
/** Detection reads the audit stream every minute: the 24-hour notice clock starts at detection. */
export const DETECTION_EVERY_MS = MS.minute;

/** Retention purges and incident detection on the runner, instance-wide. */
export async function scheduleMaintenanceJobs(
  runner: JobRunner,
  work: {
    retention: { run(options?: { actor?: string; signal?: AbortSignal }): Promise<unknown> };
    incidents: { runDetection(options?: { signal?: AbortSignal }): Promise<unknown> };
  },
): Promise<void> {
  // Both stop between batches on shutdown and are queued again (the runner does that for an aborted job).
  runner.register(
    MAINTENANCE_JOB.retention,
    async ({ signal }) => {
      await work.retention.run({ actor: "system:retention-job", signal });
    },
    // A day's run takes minutes; the first one over years of orders may take much longer (1M orders: ~4 min
    // here). The limit only catches a run that hangs, and it interrupts between batches like a shutdown.
    { timeoutMs: 6 * MS.hour },
  );
  runner.register(
    MAINTENANCE_JOB.incidents,
    async ({ signal }) => {
      await work.incidents.runDetection({ signal });
    },
    { maxAttempts: 2, timeoutMs: 10 * MS.minute },
  );
  await runner.schedule(MAINTENANCE_JOB.retention, { everyMs: RETENTION_EVERY_MS });
  await runner.schedule(MAINTENANCE_JOB.incidents, { everyMs: DETECTION_EVERY_MS });
}
