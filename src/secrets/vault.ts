import path from "node:path";
import type { Kysely, Migration } from "kysely";
import type { Config } from "../config/config.js";
import { KEYSTORE_MIGRATIONS } from "../crypto/keystore-migrations.js";
import type { KeystoreDB } from "../crypto/keystore-schema.js";
import type { MasterKey } from "../crypto/master-key.js";
import { type Database, openPostgres, openSqlite } from "../db/database.js";
import type { MigrationSet } from "../db/migrate.js";
import type { VaultDB } from "./vault-schema.js";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
type AnyDb = Kysely<any>;

const SECRETS_MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0002-secrets": {
    async up(db: AnyDb) {
      await db.schema
        .createTable("vault_secrets")
        .addColumn("name", "varchar(200)", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("state", "varchar(16)", (c) => c.notNull())
        .addColumn("account_id", "varchar(64)", (c) => c.notNull())
        .addColumn("value", "text", (c) => c.notNull())
        .addColumn("created_at", "varchar(32)", (c) => c.notNull())
        .addColumn("created_by", "varchar(200)", (c) => c.notNull())
        .addColumn("promoted_at", "varchar(32)")
        .addColumn("last_used_at", "varchar(32)")
        .addColumn("last_used_by", "varchar(200)")
        .addPrimaryKeyConstraint("vault_secrets_pk", ["name", "version"])
        .execute();
      await db.schema.createIndex("vault_secrets_account").on("vault_secrets").column("account_id").execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable("vault_secrets").execute();
    },
  },
};

export const VAULT_MIGRATIONS: MigrationSet = {
  migrations: { ...KEYSTORE_MIGRATIONS, ...SECRETS_MIGRATIONS },
  table: "vault_schema_migrations",
};

export function vaultFile(dataDir: string): string {
  return path.join(dataDir, "secrets.db");
}

/**
 * Embedded: its own SQLCipher file (secrets.db) under the "secrets-store" sub-key, never inside a data
 * backup. PostgreSQL: its own tables (vault_*), values sealed under the same sub-key.
 */
export async function openVault(
  config: Pick<Config, "dataDir" | "database">,
  master: MasterKey,
): Promise<Database<VaultDB>> {
  if (config.database.kind === "postgres") return openPostgres<VaultDB>(config.database.url, 4);
  const key = master.derive("secrets-store");
  try {
    return await openSqlite<VaultDB>(vaultFile(config.dataDir), key);
  } finally {
    key.fill(0);
  }
}

/** The keystore's view of the vault: the same connection, typed down to the tables crypto/ may touch. */
export function keystoreView(vault: Kysely<VaultDB>): Kysely<KeystoreDB> {
  // Kysely's table map is invariant; a view with fewer tables is sound because it only narrows what is reachable.
  return vault as unknown as Kysely<KeystoreDB>;
}
