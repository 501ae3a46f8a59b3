import type { Kysely, Migration } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
type AnyDb = Kysely<any>;

export const KEYSTORE_MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001-keystore": {
    async up(db: AnyDb) {
      await db.schema
        .createTable("vault_kek_versions")
        .addColumn("version", "integer", (c) => c.primaryKey())
        .addColumn("provider", "varchar(16)", (c) => c.notNull())
        .addColumn("key_ref", "varchar(2048)", (c) => c.notNull())
        .addColumn("material", "text")
        .addColumn("status", "varchar(16)", (c) => c.notNull())
        .addColumn("created_at", "varchar(32)", (c) => c.notNull())
        .addColumn("retired_at", "varchar(32)")
        .execute();
      await db.schema
        .createTable("vault_account_data_keys")
        .addColumn("account_id", "varchar(64)", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("kek_version", "integer", (c) => c.notNull().references("vault_kek_versions.version"))
        .addColumn("wrapped", "text")
        .addColumn("status", "varchar(16)", (c) => c.notNull())
        .addColumn("created_at", "varchar(32)", (c) => c.notNull())
        .addColumn("retired_at", "varchar(32)")
        .addPrimaryKeyConstraint("vault_account_data_keys_pk", ["account_id", "version"])
        .execute();
      await db.schema
        .createIndex("vault_account_data_keys_kek")
        .on("vault_account_data_keys")
        .columns(["kek_version", "status"])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable("vault_account_data_keys").execute();
      await db.schema.dropTable("vault_kek_versions").execute();
    },
  },
};
