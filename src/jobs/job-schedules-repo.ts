import type { Kysely } from "kysely";
import type { DB, JobSchedulesTable } from "../db/schema.js";
import type { AccountPause, JobPayload, JobScheduleStatus } from "./jobs-types.js";

/** Schedules, their status and account pauses: shared by both runners (pg-boss keeps only the queue). */

const scopeOf = (accountId: string | null | undefined): string => accountId ?? "";

export interface ScheduleRow {
  name: string;
  accountId: string | null;
  everyMs: number;
  payload: JobPayload;
}

export async function upsertSchedule(
  db: Kysely<DB>,
  input: {
    name: string;
    accountId: string | null;
    everyMs: number;
    payload: JobPayload;
    firstRunAt: Date;
    now: Date;
  },
): Promise<void> {
  const now = input.now.toISOString();
  const payload = JSON.stringify(input.payload);
  await db
    .insertInto("job_schedules")
    .values({
      name: input.name,
      scope: scopeOf(input.accountId),
      account_id: input.accountId,
      every_ms: input.everyMs,
      payload,
      next_run_at: input.firstRunAt.toISOString(),
      created_at: now,
      updated_at: now,
    })
    // Re-scheduling (every start-up) keeps the due time and the status; only the cadence and payload change.
    .onConflict((oc) =>
      oc.columns(["name", "scope"]).doUpdateSet({ every_ms: input.everyMs, payload, updated_at: now }),
    )
    .execute();
}

export async function deleteSchedule(db: Kysely<DB>, name: string, accountId: string | null): Promise<void> {
  await db
    .deleteFrom("job_schedules")
    .where("name", "=", name)
    .where("scope", "=", scopeOf(accountId))
    .execute();
}

/**
 * Claims the schedules due at `now` whose account is not paused: each claim moves next_run_at forward only
 * if nobody else moved it first, so two processes never fire the same due time twice.
 */
export async function claimDueSchedules(db: Kysely<DB>, now: Date): Promise<ScheduleRow[]> {
  const nowIso = now.toISOString();
  const due = await db
    .selectFrom("job_schedules")
    .selectAll()
    .where("next_run_at", "<=", nowIso)
    .where((eb) =>
      eb.or([
        eb("account_id", "is", null),
        eb("account_id", "not in", eb.selectFrom("job_pauses").select("account_id")),
      ]),
    )
    .orderBy("next_run_at")
    .execute();
  const claimed: ScheduleRow[] = [];
  for (const row of due) {
    const everyMs = Number(row.every_ms);
    // Keep the cadence, but a process that was down for hours fires once, not once per missed slot.
    let next = Date.parse(row.next_run_at) + everyMs;
    if (next <= now.getTime()) next = now.getTime() + everyMs;
    const result = await db
      .updateTable("job_schedules")
      .set({ next_run_at: new Date(next).toISOString() })
      .where("name", "=", row.name)
      .where("scope", "=", row.scope)
      .where("next_run_at", "=", row.next_run_at)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) continue;
    claimed.push({ name: row.name, accountId: row.account_id, everyMs, payload: parsePayload(row.payload) });
  }
  return claimed;
}

function parsePayload(text: string): JobPayload {
  const value: unknown = JSON.parse(text);
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JobPayload) : {};
}

/** Records one try's outcome on the schedule of (name, account), when there is one. */
export async function recordOutcome(
  db: Kysely<DB>,
  input: {
    name: string;
    accountId: string | null;
    startedAt: Date;
    finishedAt: Date;
    errorCode: string | null;
  },
): Promise<void> {
  const finished = input.finishedAt.toISOString();
  const set: Partial<JobSchedulesTable> = { last_run_at: input.startedAt.toISOString() };
  if (input.errorCode === null) set.last_success_at = finished;
  else {
    set.last_error_code = input.errorCode;
    set.last_error_at = finished;
  }
  await db
    .updateTable("job_schedules")
    .set(set)
    .where("name", "=", input.name)
    .where("scope", "=", scopeOf(input.accountId))
    .execute();
}

export async function pauseAccount(
  db: Kysely<DB>,
  accountId: string,
  code: string,
  now: Date,
): Promise<void> {
  await db
    .insertInto("job_pauses")
    .values({ account_id: accountId, code, paused_at: now.toISOString() })
    // The first pause's time and reason stay: a second revoked job does not move them.
    .onConflict((oc) => oc.column("account_id").doNothing())
    .execute();
}

/** Lifts the pause; the account's schedules become due at once, so a reconnected account syncs promptly. */
export async function resumeAccount(db: Kysely<DB>, accountId: string, now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("job_pauses").where("account_id", "=", accountId).execute();
    await trx
      .updateTable("job_schedules")
      .set({ next_run_at: now.toISOString() })
      .where("account_id", "=", accountId)
      .where("next_run_at", ">", now.toISOString())
      .execute();
  });
}

export async function isPaused(db: Kysely<DB>, accountId: string): Promise<boolean> {
  const row = await db
    .selectFrom("job_pauses")
    .select("account_id")
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function listPauses(db: Kysely<DB>): Promise<AccountPause[]> {
  const rows = await db.selectFrom("job_pauses").selectAll().orderBy("account_id").execute();
  return rows.map((r) => ({ accountId: r.account_id, code: r.code, pausedAt: r.paused_at }));
}

/** Status rows; `pending` is filled in by the runner, which knows where its queue lives. */
export async function listSchedules(
  db: Kysely<DB>,
  filter: { accountId?: string } = {},
): Promise<Array<Omit<JobScheduleStatus, "pending">>> {
  let query = db
    .selectFrom("job_schedules as s")
    .leftJoin("job_pauses as p", "p.account_id", "s.account_id")
    .select([
      "s.name",
      "s.account_id",
      "s.every_ms",
      "s.next_run_at",
      "s.last_run_at",
      "s.last_success_at",
      "s.last_error_code",
      "s.last_error_at",
      "p.paused_at",
      "p.code",
    ])
    .orderBy("s.scope")
    .orderBy("s.name");
  if (filter.accountId !== undefined) query = query.where("s.account_id", "=", filter.accountId);
  const rows = await query.execute();
  return rows.map((r) => ({
    name: r.name,
    accountId: r.account_id,
    everyMs: Number(r.every_ms),
    nextRunAt: r.next_run_at,
    lastRunAt: r.last_run_at,
    lastSuccessAt: r.last_success_at,
    lastErrorCode: r.last_error_code,
    lastErrorAt: r.last_error_at,
    pausedAt: r.paused_at,
    pausedCode: r.code,
  }));
}
