import { type Kysely, PostgresAdapter, sql } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
type AnyDb = Kysely<any>;

/**
 * The tamper-evident audit log (src/audit). Entries are append-only; database triggers refuse every UPDATE,
 * and refuse DELETE except below the latest signed retention anchor (a row of kind 'anchor' in
 * audit_checkpoints that src/audit/audit-retention.ts writes in the same transaction as its deletes).
 * So the only way to make an entry deletable is to write an anchor, and an anchor without a valid
 * signature fails `audit verify`. Triggers are a tripwire, not the proof: the hash chain and the signed
 * checkpoints are what verification relies on.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("audit_entries")
    .addColumn("seq", "bigint", (col) => col.primaryKey())
    .addColumn("id", "varchar(64)", (col) => col.notNull().unique())
    .addColumn("at", "varchar(32)", (col) => col.notNull())
    .addColumn("actor", "varchar(200)", (col) => col.notNull())
    .addColumn("action", "varchar(100)", (col) => col.notNull())
    .addColumn("outcome", "varchar(16)", (col) => col.notNull())
    // Canonical JSON of target ids (hashed as stored text, so any changed byte breaks the entry's hash).
    .addColumn("target", "text", (col) => col.notNull())
    .addColumn("request_id", "varchar(64)")
    .addColumn("reason", "varchar(200)")
    .addColumn("prev_hash", "varchar(64)", (col) => col.notNull())
    .addColumn("hash", "varchar(64)", (col) => col.notNull())
    .execute();
  await db.schema.createIndex("audit_entries_at").on("audit_entries").column("at").execute();
  await db.schema
    .createTable("audit_checkpoints")
    .addColumn("seq", "bigint", (col) => col.notNull())
    // 'checkpoint': signs the head hash at seq; 'anchor': signs where retention cut the chain.
    .addColumn("kind", "varchar(16)", (col) => col.notNull())
    .addColumn("head_hash", "varchar(64)", (col) => col.notNull())
    .addColumn("at", "varchar(32)", (col) => col.notNull())
    .addColumn("key_id", "varchar(64)", (col) => col.notNull())
    // SPKI DER, base64: published so anyone holding an export can check signatures.
    .addColumn("public_key", "varchar(128)", (col) => col.notNull())
    .addColumn("signature", "varchar(128)", (col) => col.notNull())
    .addPrimaryKeyConstraint("audit_checkpoints_pk", ["seq", "kind"])
    .execute();

  if (db.getExecutor().adapter instanceof PostgresAdapter) await postgresTriggers(db);
  else await sqliteTriggers(db);
}

const ANCHOR_SEQ = "(SELECT max(seq) FROM audit_checkpoints WHERE kind = 'anchor')";

async function sqliteTriggers(db: AnyDb): Promise<void> {
  for (const table of ["audit_entries", "audit_checkpoints"]) {
    await sql
      .raw(`CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
        BEGIN SELECT RAISE(ABORT, 'audit log: ${table} is append-only'); END`)
      .execute(db);
  }
  await sql
    .raw(`CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
      WHEN OLD.seq > COALESCE(${ANCHOR_SEQ}, 0)
      BEGIN SELECT RAISE(ABORT, 'audit log: entries are deleted only by retention'); END`)
    .execute(db);
  await sql
    .raw(`CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
      WHEN OLD.kind <> 'checkpoint' OR OLD.seq > COALESCE(${ANCHOR_SEQ}, 0)
      BEGIN SELECT RAISE(ABORT, 'audit log: checkpoints are deleted only by retention'); END`)
    .execute(db);
}

async function postgresTriggers(db: AnyDb): Promise<void> {
  // OR REPLACE: an aborted restore drops the tables (CASCADE takes the triggers) but not the functions.
  await sql
    .raw(`CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit log: % on % refused (append-only)', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'integrity_constraint_violation';
      END $$`)
    .execute(db);
  // Two guards: plpgsql evaluates every OLD field an expression names, so one guard cannot test both shapes.
  const guards = {
    audit_entries: `OLD.seq > COALESCE(${ANCHOR_SEQ}, 0)`,
    audit_checkpoints: `OLD.kind <> 'checkpoint' OR OLD.seq > COALESCE(${ANCHOR_SEQ}, 0)`,
  };
  for (const [table, refused] of Object.entries(guards)) {
    await sql
      .raw(`CREATE OR REPLACE FUNCTION ${table}_guard_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF ${refused} THEN
            RAISE EXCEPTION 'audit log: DELETE on % refused outside retention', TG_TABLE_NAME
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN OLD;
        END $$`)
      .execute(db);
  }
  for (const table of ["audit_entries", "audit_checkpoints"]) {
    await sql
      .raw(`CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`)
      .execute(db);
    await sql
      .raw(`CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION ${table}_guard_delete()`)
      .execute(db);
    // TRUNCATE skips row triggers: refuse it outright.
    await sql
      .raw(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`)
      .execute(db);
  }
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable("audit_checkpoints").execute();
  await db.schema.dropTable("audit_entries").execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`DROP FUNCTION IF EXISTS audit_entries_guard_delete()`.execute(db);
    await sql`DROP FUNCTION IF EXISTS audit_checkpoints_guard_delete()`.execute(db);
    await sql`DROP FUNCTION IF EXISTS audit_refuse_change()`.execute(db);
  }
}
