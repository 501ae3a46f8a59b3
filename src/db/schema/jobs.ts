// Background jobs (migration 0011, src/jobs); the DB interface is in ../schema.ts.

/** Background jobs (migration 0011, src/jobs): schedules and their status per (job name, scope). */
export interface JobSchedulesTable {
  name: string;
  /** The seller account id, or '' for an instance-wide schedule. */
  scope: string;
  account_id: string | null;
  every_ms: number;
  /** JSON payload handed to each run. */
  payload: string;
  next_run_at: string;
  last_run_at: string | null;
  last_success_at: string | null;
  /** A catalog error code only: never a message, stack or secret. */
  last_error_code: string | null;
  last_error_at: string | null;
  created_at: string;
  updated_at: string;
}

/** Accounts whose jobs are stopped (e.g. a revoked authorization) until resumed. */
export interface JobPausesTable {
  account_id: string;
  code: string;
  paused_at: string;
}

export type JobRunState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** The in-process runner's queue; a running row's lease is taken over by another process once it expires. */
export interface JobRunsTable {
  id: string;
  name: string;
  account_id: string | null;
  payload: string;
  singleton_key: string | null;
  state: JobRunState;
  attempts: number;
  max_attempts: number;
  run_after: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error_code: string | null;
}
