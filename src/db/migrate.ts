import { type Kysely, type Migration, type MigrationResultSet, Migrator } from "kysely";
import { AppError } from "../platform/errors.js";
import { MIGRATIONS } from "./migrations/index.js";
import type { DB } from "./schema.js";

/** A store's migrations and the table that records them (the data store and the vault each have one). */
export interface MigrationSet {
  migrations: Readonly<Record<string, Migration>>;
  table: string;
}

export const DATA_MIGRATIONS: MigrationSet = { migrations: MIGRATIONS, table: "schema_migrations" };

function migrator<T>(db: Kysely<T>, set: MigrationSet): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...set.migrations }) },
    migrationTableName: set.table,
    migrationLockTableName: `${set.table}_lock`,
  });
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

export async function migrationStatus<T = DB>(
  db: Kysely<T>,
  set: MigrationSet = DATA_MIGRATIONS,
): Promise<MigrationStatus> {
  const infos = await migrator(db, set).getMigrations();
  return {
    applied: infos.filter((m) => m.executedAt !== undefined).map((m) => m.name),
    pending: infos.filter((m) => m.executedAt === undefined).map((m) => m.name),
  };
}

export interface MigrateOutcome {
  executed: string[];
}

/** Runs every pending migration (each in a transaction; concurrent starts are serialized by Kysely's lock). */
export async function migrateToLatest<T = DB>(
  db: Kysely<T>,
  set: MigrationSet = DATA_MIGRATIONS,
): Promise<MigrateOutcome> {
  const { error, results }: MigrationResultSet = await migrator(db, set).migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error !== undefined || failed) {
    throw new AppError(
      "DB_MIGRATION_FAILED",
      failed ? `Migration ${failed.migrationName} failed; nothing after it was applied.` : undefined,
      { cause: error },
    );
  }
  return { executed: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName) };
}
