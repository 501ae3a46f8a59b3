/**
 * The background job runner's contract. Two implementations share it: the in-process runner (SQLite, and
 * PostgreSQL with one process) and the pg-boss runner (PostgreSQL, any number of worker processes).
 * Payloads are JSON; status carries catalog error codes only, never messages, stacks or secrets.
 */

export type JobPayload = Record<string, unknown>;

export interface JobContext<P extends JobPayload = JobPayload> {
  /** The run's id (stable across retries of the same job). */
  id: string;
  name: string;
  payload: P;
  /** The seller account the job works for, or null for instance-wide jobs. */
  accountId: string | null;
  /** 1 on the first try, 2 on the first retry... */
  attempt: number;
  /** Aborted when the runner stops or the job's time runs out: stop at the next safe point and throw. */
  signal: AbortSignal;
}

export type JobHandler<P extends JobPayload = JobPayload> = (job: JobContext<P>) => Promise<void>;

export interface JobHandlerOptions {
  /** Tries in all before the job is recorded as failed (default 5). */
  maxAttempts?: number;
  /** First retry delay; each further retry doubles it, capped at an hour (default 30 s). */
  backoffMs?: number;
  /**
   * How long one try may run before it counts as abandoned (default 30 min; pg-boss allows < 24 h). The
   * in-process runner renews the lease while the process lives; another process takes over once it expires.
   */
  timeoutMs?: number;
}

export interface ScheduleOptions {
  /** Per-account schedule; omitted for an instance-wide one. */
  accountId?: string;
  everyMs: number;
  /** Extra payload for each run; `accountId` is added for per-account schedules. */
  payload?: JobPayload;
  /** First due time (default: now, so a new schedule runs at the next tick). */
  firstRunAt?: Date;
}

export interface EnqueueOptions {
  /** At most one queued or running job per key (e.g. `sync:<accountId>`); a second enqueue returns null. */
  singletonKey?: string;
  /** The account the job works for; defaults to `payload.accountId` when that is a string. */
  accountId?: string;
  /** Not before this time (default now). */
  runAt?: Date;
}

export interface JobScheduleStatus {
  name: string;
  accountId: string | null;
  everyMs: number;
  /** When the schedule fires next; it does not fire while the account is paused. */
  nextRunAt: string;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  /** Catalog code of the last failed try (kept after a later success: compare lastErrorAt and lastSuccessAt). */
  lastErrorCode: string | null;
  lastErrorAt: string | null;
  /** Set while the account's jobs are paused (e.g. SPAPI_AUTHORIZATION_REVOKED). */
  pausedAt: string | null;
  pausedCode: string | null;
  /** A job of this schedule's singleton key is queued or running now. */
  pending: boolean;
}

export interface AccountPause {
  accountId: string;
  code: string;
  pausedAt: string;
}

export interface JobRunner {
  readonly kind: "in-process" | "pg-boss";
  /** One handler per job name, registered before start(). */
  register<P extends JobPayload>(name: string, handler: JobHandler<P>, options?: JobHandlerOptions): void;
  /** Creates or updates the schedule of (name, accountId); its status (last run...) is kept. */
  schedule(name: string, options: ScheduleOptions): Promise<void>;
  unschedule(name: string, options?: { accountId?: string }): Promise<void>;
  /** Queues one job; returns its id, or null when a job with the same singleton key is queued or running. */
  enqueue(name: string, payload: JobPayload, options?: EnqueueOptions): Promise<string | null>;
  /** Starts the background loop (schedules, leases, workers). */
  start(): Promise<void>;
  /**
   * Graceful stop: nothing new is claimed, running jobs are told to stop (signal) and awaited up to timeoutMs;
   * a job that ends after the abort is queued again without its try counting (interrupted, not failed), one
   * that does not is left to its lease and re-run by the next process.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * One pass of the loop now, by the injected clock: fires due schedules and (in-process) runs due jobs,
   * resolving when they have settled. Returns how many jobs this pass ran (pg-boss: schedules fired).
   */
  runDue(): Promise<number>;
  /** Stops the account's schedules and drops its queued jobs (recorded with the code, shown in status). */
  pauseAccount(accountId: string, code: string): Promise<void>;
  /** Re-enables the account's schedules (the connect service calls it on re-authorization). */
  resumeAccount(accountId: string): Promise<void>;
  pausedAccounts(): Promise<AccountPause[]>;
  status(filter?: { accountId?: string }): Promise<JobScheduleStatus[]>;
}

export const JOB_DEFAULTS = {
  maxAttempts: 5,
  backoffMs: 30_000,
  maxBackoffMs: 3_600_000,
  timeoutMs: 30 * 60_000,
  concurrency: 4,
  tickMs: 1_000,
  stopTimeoutMs: 30_000,
} as const;
