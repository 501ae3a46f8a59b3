import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
export async function up(db: Kysely<any>): Promise<void> {
  // The catalog of backup archives this instance wrote. A "kept" row pins its KEK version: key rotation
  // must not retire a KEK while an archive that needs it may still be restored.
  await db.schema
    .createTable("backups")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("file", "text", (col) => col.notNull())
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("kek_version", "integer", (col) => col.notNull())
    .addColumn("size_bytes", "bigint", (col) => col.notNull())
    .addColumn("sha256", "varchar(64)", (col) => col.notNull())
    .addColumn("status", "varchar(16)", (col) => col.notNull())
    .addColumn("pruned_at", "varchar(32)")
    .execute();
  await db.schema
    .createIndex("backups_status_created")
    .on("backups")
    .columns(["status", "created_at"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("backups").execute();
}
