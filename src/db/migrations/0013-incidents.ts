import { type Kysely, sql } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
type AnyDb = Kysely<any>;

/**
 * Incident response (src/incidents): incidents opened by detection rules over the audit log, their
 * timeline, their evidence notes (a hash chain per incident: chain of custody) and the detector's cursor
 * and rule state. No foreign key to seller_accounts: an incident outlives the account it concerned
 * (a deleted account's incident is still a record the operator must keep).
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("incidents")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("rule", "varchar(64)", (col) => col.notNull())
    // One open incident per (rule, subject): repeated findings add to its timeline instead of a new one.
    .addColumn("dedup_key", "varchar(300)", (col) => col.notNull())
    .addColumn("severity", "varchar(16)", (col) => col.notNull())
    .addColumn("state", "varchar(32)", (col) => col.notNull())
    .addColumn("title", "varchar(200)", (col) => col.notNull())
    .addColumn("summary", "varchar(1000)", (col) => col.notNull())
    .addColumn("account_id", "varchar(64)")
    .addColumn("point_of_contact", "varchar(200)", (col) => col.notNull())
    .addColumn("detected_at", "varchar(32)", (col) => col.notNull())
    .addColumn("deadline_at", "varchar(32)", (col) => col.notNull())
    .addColumn("notified_at", "varchar(32)")
    .addColumn("escalated_at", "varchar(32)")
    .addColumn("closed_at", "varchar(32)")
    .addColumn("updated_at", "varchar(32)", (col) => col.notNull())
    .addColumn("occurrences", "integer", (col) => col.notNull().defaultTo(1))
    .execute();
  // At most one open incident per key, even when two detector runs overlap (the loser joins it).
  await db.schema
    .createIndex("incidents_open_key")
    .on("incidents")
    .column("dedup_key")
    .unique()
    .where(sql.ref("state"), "<>", "closed")
    .execute();
  await db.schema.createIndex("incidents_detected").on("incidents").column("detected_at").execute();

  await db.schema
    .createTable("incident_events")
    .addColumn("incident_id", "varchar(64)", (col) =>
      col.notNull().references("incidents.id").onDelete("cascade"),
    )
    .addColumn("seq", "integer", (col) => col.notNull())
    .addColumn("at", "varchar(32)", (col) => col.notNull())
    .addColumn("kind", "varchar(32)", (col) => col.notNull())
    .addColumn("actor", "varchar(200)", (col) => col.notNull())
    .addColumn("detail", "varchar(1000)", (col) => col.notNull())
    .addPrimaryKeyConstraint("incident_events_pk", ["incident_id", "seq"])
    .execute();

  await db.schema
    .createTable("incident_evidence")
    .addColumn("incident_id", "varchar(64)", (col) =>
      col.notNull().references("incidents.id").onDelete("cascade"),
    )
    .addColumn("seq", "integer", (col) => col.notNull())
    .addColumn("at", "varchar(32)", (col) => col.notNull())
    .addColumn("actor", "varchar(200)", (col) => col.notNull())
    .addColumn("content", "text", (col) => col.notNull())
    .addColumn("prev_hash", "varchar(64)", (col) => col.notNull())
    .addColumn("hash", "varchar(64)", (col) => col.notNull())
    .addPrimaryKeyConstraint("incident_evidence_pk", ["incident_id", "seq"])
    .execute();

  await db.schema
    .createTable("incident_detector_state")
    .addColumn("id", "varchar(32)", (col) => col.primaryKey())
    .addColumn("cursor_seq", "bigint", (col) => col.notNull())
    .addColumn("state", "text", (col) => col.notNull())
    .addColumn("verified_at", "varchar(32)")
    .addColumn("updated_at", "varchar(32)", (col) => col.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable("incident_detector_state").execute();
  await db.schema.dropTable("incident_evidence").execute();
  await db.schema.dropTable("incident_events").execute();
  await db.schema.dropTable("incidents").execute();
}
