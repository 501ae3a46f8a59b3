import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("seller_accounts")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("name", "varchar(200)", (col) => col.notNull())
    .addColumn("region", "varchar(8)", (col) => col.notNull())
    .addColumn("status", "varchar(32)", (col) => col.notNull())
    .addColumn("selling_partner_id", "varchar(64)")
    // Sealed (sp1:...) under the account's data key: the seller's contact e-mail is personal data.
    .addColumn("contact_email", "text")
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("updated_at", "varchar(32)", (col) => col.notNull())
    .execute();
  await db.schema
    .createTable("deletion_receipts")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("kind", "varchar(32)", (col) => col.notNull())
    .addColumn("subject_hash", "varchar(64)", (col) => col.notNull())
    .addColumn("requested_by", "varchar(200)", (col) => col.notNull())
    .addColumn("executed_at", "varchar(32)", (col) => col.notNull())
    .addColumn("details", "text", (col) => col.notNull())
    .addColumn("receipt_hash", "varchar(64)", (col) => col.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("deletion_receipts").execute();
  await db.schema.dropTable("seller_accounts").execute();
}
