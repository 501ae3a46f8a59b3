import { type Kysely, sql } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
type AnyDb = Kysely<any>;

/**
 * Background jobs (src/jobs). `job_schedules`: one row per (job name, scope) where scope is a seller account
 * id or '' for instance-wide jobs; it carries the next due time and the status the UI shows (last run, last
 * success, last error code, never a message or stack). `job_pauses`: accounts whose jobs are stopped (a
 * revoked authorization) until re-enabled. `job_runs`: the in-process runner's queue; a running row holds a
 * lease that a restarted process takes over once it expires. pg-boss keeps its own queue in its own schema.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("job_schedules")
    .addColumn("name", "varchar(64)", (col) => col.notNull())
    .addColumn("scope", "varchar(64)", (col) => col.notNull())
    .addColumn("account_id", "varchar(64)")
    .addColumn("every_ms", "bigint", (col) => col.notNull())
    .addColumn("payload", "text", (col) => col.notNull())
    .addColumn("next_run_at", "varchar(32)", (col) => col.notNull())
    .addColumn("last_run_at", "varchar(32)")
    .addColumn("last_success_at", "varchar(32)")
    .addColumn("last_error_code", "varchar(64)")
    .addColumn("last_error_at", "varchar(32)")
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("updated_at", "varchar(32)", (col) => col.notNull())
    .addPrimaryKeyConstraint("job_schedules_pk", ["name", "scope"])
    .execute();
  await db.schema.createIndex("job_schedules_due").on("job_schedules").column("next_run_at").execute();
  await db.schema
    .createTable("job_pauses")
    .addColumn("account_id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("code", "varchar(64)", (col) => col.notNull())
    .addColumn("paused_at", "varchar(32)", (col) => col.notNull())
    .execute();
  await db.schema
    .createTable("job_runs")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("name", "varchar(64)", (col) => col.notNull())
    .addColumn("account_id", "varchar(64)")
    .addColumn("payload", "text", (col) => col.notNull())
    .addColumn("singleton_key", "varchar(200)")
    // queued | running | succeeded | failed | cancelled
    .addColumn("state", "varchar(16)", (col) => col.notNull())
    .addColumn("attempts", "integer", (col) => col.notNull())
    .addColumn("max_attempts", "integer", (col) => col.notNull())
    .addColumn("run_after", "varchar(32)", (col) => col.notNull())
    .addColumn("lease_owner", "varchar(64)")
    .addColumn("lease_expires_at", "varchar(32)")
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("started_at", "varchar(32)")
    .addColumn("finished_at", "varchar(32)")
    .addColumn("error_code", "varchar(64)")
    .execute();
  await db.schema.createIndex("job_runs_due").on("job_runs").columns(["state", "run_after"]).execute();
  // At most one queued or running job per singleton key: the store refuses the second, on both stores.
  await db.schema
    .createIndex("job_runs_singleton")
    .on("job_runs")
    .column("singleton_key")
    .unique()
    .where(sql.ref("state"), "in", [sql.lit("queued"), sql.lit("running")])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable("job_runs").execute();
  await db.schema.dropTable("job_pauses").execute();
  await db.schema.dropTable("job_schedules").execute();
}
