import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
type AnyDb = Kysely<any>;

/**
 * Connecting a seller account (src/connect): what the seller authorized (enabled features, marketplaces, when
 * it was authorized or revoked) on the account row, and the single-use `state` values of the website
 * authorization workflow. Only the state's SHA-256 is stored; a row lives five minutes.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable("seller_accounts")
    .addColumn("features", "text", (col) => col.notNull().defaultTo("[]"))
    .execute();
  await db.schema
    .alterTable("seller_accounts")
    .addColumn("marketplaces", "text", (col) => col.notNull().defaultTo("[]"))
    .execute();
  await db.schema.alterTable("seller_accounts").addColumn("authorized_at", "varchar(32)").execute();
  await db.schema.alterTable("seller_accounts").addColumn("revoked_at", "varchar(32)").execute();
  await db.schema
    .createTable("connect_states")
    .addColumn("state_hash", "varchar(64)", (col) => col.primaryKey())
    .addColumn("user_id", "varchar(64)", (col) => col.notNull())
    .addColumn("session_id", "varchar(64)", (col) => col.notNull())
    .addColumn("organisation_id", "varchar(64)", (col) => col.notNull())
    .addColumn("features", "text", (col) => col.notNull())
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("expires_at", "varchar(32)", (col) => col.notNull())
    .addColumn("used_at", "varchar(32)")
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable("connect_states").execute();
  for (const column of ["revoked_at", "authorized_at", "marketplaces", "features"]) {
    await db.schema.alterTable("seller_accounts").dropColumn(column).execute();
  }
}
