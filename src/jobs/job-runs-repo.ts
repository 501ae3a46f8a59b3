import type { Kysely } from "kysely";
import type { DB, JobRunsTable } from "../db/schema.js";

/** The in-process runner's queue (job_runs). A running row belongs to the process holding its lease. */

export type JobRunRow = JobRunsTable;

export async function insertRun(
  db: Kysely<DB>,
  run: Pick<
    JobRunRow,
    "id" | "name" | "account_id" | "payload" | "singleton_key" | "max_attempts" | "run_after" | "created_at"
  >,
): Promise<string | null> {
  const row = await db
    .insertInto("job_runs")
    .values({ ...run, state: "queued", attempts: 0 })
    // The partial unique index on singleton_key refuses a second queued/running job with the same key.
    .onConflict((oc) => oc.doNothing())
    .returning("id")
    .executeTakeFirst();
  return row?.id ?? null;
}

/** Takes the oldest due queued job of an unpaused account (or none), under a new lease. */
export async function claimNext(
  db: Kysely<DB>,
  input: {
    now: Date;
    leaseMsByName: (name: string) => number;
    names: readonly string[];
    /** A fresh token per try: a stale try (its lease taken over) can never update the row again. */
    newLease: () => string;
  },
): Promise<JobRunRow | undefined> {
  if (input.names.length === 0) return undefined;
  const now = input.now.toISOString();
  for (;;) {
    const candidate = await db
      .selectFrom("job_runs")
      .select(["id", "name", "attempts"])
      .where("state", "=", "queued")
      .where("run_after", "<=", now)
      .where("name", "in", input.names)
      .where((eb) =>
        eb.or([
          eb("account_id", "is", null),
          eb("account_id", "not in", eb.selectFrom("job_pauses").select("account_id")),
        ]),
      )
      .orderBy("run_after")
      .orderBy("created_at")
      .limit(1)
      .executeTakeFirst();
    if (!candidate) return undefined;
    const leaseUntil = new Date(input.now.getTime() + input.leaseMsByName(candidate.name)).toISOString();
    const claimed = await db
      .updateTable("job_runs")
      .set((eb) => ({
        state: "running",
        attempts: eb("attempts", "+", 1),
        lease_owner: input.newLease(),
        lease_expires_at: leaseUntil,
        started_at: now,
      }))
      .where("id", "=", candidate.id)
      .where("state", "=", "queued")
      // Same try as the one selected: a job that another slot ran, failed and re-queued for later in the
      // meantime is queued again but not due, and must not be taken on the strength of the stale read.
      .where("attempts", "=", candidate.attempts)
      .where("run_after", "<=", now)
      .returningAll()
      .executeTakeFirst();
    // Another process took it between the two statements: look for the next one.
    if (claimed) return claimed;
  }
}

export async function renewLease(db: Kysely<DB>, id: string, lease: string, until: Date): Promise<boolean> {
  const result = await db
    .updateTable("job_runs")
    .set({ lease_expires_at: until.toISOString() })
    .where("id", "=", id)
    .where("lease_owner", "=", lease)
    .where("state", "=", "running")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes finished runs older than `before` (the queue is not a history; schedules keep the status). */
export async function pruneFinished(db: Kysely<DB>, before: Date): Promise<void> {
  await db
    .deleteFrom("job_runs")
    .where("state", "in", ["succeeded", "failed", "cancelled"])
    .where("finished_at", "<", before.toISOString())
    .execute();
}

/**
 * Jobs whose lease ran out (their process died or hung) go back to the queue, or fail with JOB_ABANDONED
 * when they have used every attempt. Returns the failed rows so their schedules can record it.
 */
export async function reclaimExpired(db: Kysely<DB>, now: Date): Promise<JobRunRow[]> {
  const nowIso = now.toISOString();
  const failed = await db
    .updateTable("job_runs")
    .set({
      state: "failed",
      error_code: "JOB_ABANDONED",
      finished_at: nowIso,
      lease_owner: null,
      lease_expires_at: null,
    })
    .where("state", "=", "running")
    .where("lease_expires_at", "<=", nowIso)
    .whereRef("attempts", ">=", "max_attempts")
    .returningAll()
    .execute();
  await db
    .updateTable("job_runs")
    .set({ state: "queued", run_after: nowIso, lease_owner: null, lease_expires_at: null })
    .where("state", "=", "running")
    .where("lease_expires_at", "<=", nowIso)
    .execute();
  return failed;
}

/** Ends a try; a no-op when the lease was taken over meanwhile (the other process owns the row now). */
export async function finishRun(
  db: Kysely<DB>,
  id: string,
  lease: string,
  outcome: { state: "succeeded" | "failed" | "cancelled"; errorCode: string | null; at: Date },
): Promise<boolean> {
  const result = await db
    .updateTable("job_runs")
    .set({
      state: outcome.state,
      error_code: outcome.errorCode,
      finished_at: outcome.at.toISOString(),
      lease_owner: null,
      lease_expires_at: null,
    })
    .where("id", "=", id)
    .where("lease_owner", "=", lease)
    .where("state", "=", "running")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Puts a try back in the queue: after a retryable failure (attempt kept) or a stop (attempt given back). */
export async function requeueRun(
  db: Kysely<DB>,
  id: string,
  lease: string,
  input: { runAfter: Date; errorCode: string | null; giveBackAttempt: boolean },
): Promise<boolean> {
  const result = await db
    .updateTable("job_runs")
    .set((eb) => ({
      state: "queued",
      run_after: input.runAfter.toISOString(),
      error_code: input.errorCode,
      lease_owner: null,
      lease_expires_at: null,
      attempts: input.giveBackAttempt ? eb("attempts", "-", 1) : eb.ref("attempts"),
    }))
    .where("id", "=", id)
    .where("lease_owner", "=", lease)
    .where("state", "=", "running")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function cancelQueuedForAccount(
  db: Kysely<DB>,
  accountId: string,
  code: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable("job_runs")
    .set({ state: "cancelled", error_code: code, finished_at: now.toISOString() })
    .where("account_id", "=", accountId)
    .where("state", "=", "queued")
    .execute();
}

export async function pendingSingletonKeys(db: Kysely<DB>): Promise<Set<string>> {
  const rows = await db
    .selectFrom("job_runs")
    .select("singleton_key")
    .where("state", "in", ["queued", "running"])
    .where("singleton_key", "is not", null)
    .execute();
  return new Set(rows.map((r) => r.singleton_key ?? ""));
}

export async function getRun(db: Kysely<DB>, id: string): Promise<JobRunRow | undefined> {
  return await db.selectFrom("job_runs").selectAll().where("id", "=", id).executeTakeFirst();
}
