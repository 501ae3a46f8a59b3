import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
type AnyDb = Kysely<any>;

/**
 * Retention (src/retention): legal holds that exempt an account or one order from deletion, deletion
 * requests (an owner's request, or a revoked / closed account's scheduled deletion) with their deadline,
 * and one row per retention run with its deletion receipt.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("legal_holds")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    // A hold is meaningless once its account is gone (and a held account is never deleted by retention).
    .addColumn("account_id", "varchar(64)", (col) =>
      col.notNull().references("seller_accounts.id").onDelete("cascade"),
    )
    // Null: the whole account is held. Otherwise one order (Amazon's id, and our row id to filter by).
    .addColumn("amazon_order_id", "varchar(64)")
    .addColumn("order_row_id", "varchar(64)")
    .addColumn("reason", "varchar(500)", (col) => col.notNull())
    .addColumn("owner", "varchar(200)", (col) => col.notNull())
    .addColumn("created_by", "varchar(200)", (col) => col.notNull())
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("expires_at", "varchar(32)")
    .addColumn("released_at", "varchar(32)")
    .addColumn("released_by", "varchar(200)")
    .execute();
  await db.schema.createIndex("legal_holds_account").on("legal_holds").columns(["account_id"]).execute();

  await db.schema
    .createTable("deletion_requests")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    // No foreign key: the request (and its receipt) outlives the account it deleted.
    .addColumn("account_id", "varchar(64)", (col) => col.notNull())
    .addColumn("kind", "varchar(16)", (col) => col.notNull())
    .addColumn("status", "varchar(16)", (col) => col.notNull())
    .addColumn("requested_by", "varchar(200)", (col) => col.notNull())
    .addColumn("requested_at", "varchar(32)", (col) => col.notNull())
    .addColumn("execute_after", "varchar(32)", (col) => col.notNull())
    .addColumn("deadline", "varchar(32)", (col) => col.notNull())
    .addColumn("reminders_sent", "integer", (col) => col.notNull().defaultTo(0))
    .addColumn("completed_at", "varchar(32)")
    .addColumn("cancelled_at", "varchar(32)")
    .addColumn("receipt_id", "varchar(64)")
    .addColumn("receipt_hash", "varchar(64)")
    .addColumn("updated_at", "varchar(32)", (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex("deletion_requests_account_status")
    .on("deletion_requests")
    .columns(["account_id", "status"])
    .execute();

  await db.schema
    .createTable("retention_runs")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    // The time the policy was applied at (--at), which may differ from when the run happened.
    .addColumn("as_of", "varchar(32)", (col) => col.notNull())
    .addColumn("started_at", "varchar(32)", (col) => col.notNull())
    .addColumn("finished_at", "varchar(32)")
    .addColumn("policy_version", "varchar(40)", (col) => col.notNull())
    .addColumn("status", "varchar(16)", (col) => col.notNull())
    // Canonical JSON of the receipt: counts and hashed ids, never ids in the clear, never data.
    .addColumn("receipt", "text")
    .addColumn("receipt_hash", "varchar(64)")
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ["retention_runs", "deletion_requests", "legal_holds"]) {
    await db.schema.dropTable(table).execute();
  }
}
