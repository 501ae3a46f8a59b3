import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("organisations")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("name", "varchar(200)", (col) => col.notNull())
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .execute();
  // Existing accounts predate organisations: the column stays nullable, and an account without an
  // organisation is reachable by nobody until an operator assigns it.
  await db.schema
    .alterTable("seller_accounts")
    .addColumn("organisation_id", "varchar(64)", (col) => col.references("organisations.id"))
    .execute();
  await db.schema
    .createTable("users")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    // Nullable: an instance operator may exist without belonging to any seller's organisation.
    .addColumn("organisation_id", "varchar(64)", (col) => col.references("organisations.id"))
    // Normalized (trimmed, lower-case) so one person cannot hold two identities by changing case.
    .addColumn("email", "varchar(320)", (col) => col.notNull().unique())
    .addColumn("display_name", "varchar(200)", (col) => col.notNull())
    .addColumn("status", "varchar(16)", (col) => col.notNull())
    // 0/1 on both stores (SQLite has no boolean type; one representation keeps one code path).
    .addColumn("is_instance_admin", "integer", (col) => col.notNull().defaultTo(0))
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("disabled_at", "varchar(32)")
    .execute();
  await db.schema
    .createTable("memberships")
    .addColumn("user_id", "varchar(64)", (col) => col.notNull().references("users.id").onDelete("cascade"))
    .addColumn("seller_account_id", "varchar(64)", (col) =>
      col.notNull().references("seller_accounts.id").onDelete("cascade"),
    )
    .addColumn("role", "varchar(32)", (col) => col.notNull())
    // An audit actor label (user:<id>, operator:<name>), not a foreign key: the granter may be gone.
    .addColumn("granted_by", "varchar(200)", (col) => col.notNull())
    .addColumn("granted_at", "varchar(32)", (col) => col.notNull())
    .addPrimaryKeyConstraint("memberships_pk", ["user_id", "seller_account_id"])
    .execute();
  await db.schema
    .createIndex("memberships_account")
    .on("memberships")
    .columns(["seller_account_id", "role"])
    .execute();
  await db.schema
    .createTable("invitations")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("organisation_id", "varchar(64)", (col) => col.notNull().references("organisations.id"))
    .addColumn("seller_account_id", "varchar(64)", (col) =>
      col.notNull().references("seller_accounts.id").onDelete("cascade"),
    )
    .addColumn("email", "varchar(320)", (col) => col.notNull())
    .addColumn("role", "varchar(32)", (col) => col.notNull())
    // SHA-256 of a 256-bit random token: the token itself is shown once and never stored.
    .addColumn("token_hash", "varchar(64)", (col) => col.notNull().unique())
    .addColumn("invited_by", "varchar(200)", (col) => col.notNull())
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("expires_at", "varchar(32)", (col) => col.notNull())
    .addColumn("accepted_at", "varchar(32)")
    .addColumn("accepted_user_id", "varchar(64)")
    .execute();
  await db.schema
    .createTable("access_reviews")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("organisation_id", "varchar(64)", (col) => col.notNull().references("organisations.id"))
    .addColumn("status", "varchar(16)", (col) => col.notNull())
    .addColumn("opened_by", "varchar(200)", (col) => col.notNull())
    .addColumn("opened_at", "varchar(32)", (col) => col.notNull())
    .addColumn("completed_by", "varchar(200)")
    .addColumn("completed_at", "varchar(32)")
    .execute();
  await db.schema
    .createIndex("access_reviews_org")
    .on("access_reviews")
    .columns(["organisation_id", "status", "completed_at"])
    .execute();
  await db.schema
    .createTable("access_review_items")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("review_id", "varchar(64)", (col) =>
      col.notNull().references("access_reviews.id").onDelete("cascade"),
    )
    // Snapshots, not foreign keys: the evidence of who had what must outlive the membership it describes.
    .addColumn("user_id", "varchar(64)", (col) => col.notNull())
    .addColumn("seller_account_id", "varchar(64)", (col) => col.notNull())
    .addColumn("role", "varchar(32)", (col) => col.notNull())
    .addColumn("decision", "varchar(16)")
    .addColumn("decided_by", "varchar(200)")
    .addColumn("decided_at", "varchar(32)")
    .execute();
  await db.schema
    .createIndex("access_review_items_review")
    .on("access_review_items")
    .columns(["review_id"])
    .execute();
  await db.schema
    .createTable("pii_reveal_grants")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("user_id", "varchar(64)", (col) => col.notNull().references("users.id").onDelete("cascade"))
    .addColumn("seller_account_id", "varchar(64)", (col) =>
      col.notNull().references("seller_accounts.id").onDelete("cascade"),
    )
    .addColumn("order_id", "varchar(64)", (col) => col.notNull())
    .addColumn("purpose", "varchar(32)", (col) => col.notNull())
    // Sealed under the account's data key: a free-text note may well name the buyer.
    .addColumn("note", "text")
    .addColumn("granted_at", "varchar(32)", (col) => col.notNull())
    .addColumn("expires_at", "varchar(32)", (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex("pii_reveal_grants_lookup")
    .on("pii_reveal_grants")
    .columns(["user_id", "seller_account_id", "order_id", "expires_at"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("pii_reveal_grants").execute();
  await db.schema.dropTable("access_review_items").execute();
  await db.schema.dropTable("access_reviews").execute();
  await db.schema.dropTable("invitations").execute();
  await db.schema.dropTable("memberships").execute();
  await db.schema.dropTable("users").execute();
  await db.schema.alterTable("seller_accounts").dropColumn("organisation_id").execute();
  await db.schema.dropTable("organisations").execute();
}
