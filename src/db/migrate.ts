import { type Kysely, type MigrationResultSet, Migrator } from "kysely";
import { AppError } from "../platform/errors.js";
import { MIGRATIONS } from "./migrations/index.js";
import type { DB } from "./schema.js";

function migrator(db: Kysely<DB>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...MIGRATIONS }) },
    migrationTableName: "schema_migrations",
    migrationLockTableName: "schema_migrations_lock",
  });
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

export async function migrationStatus(db: Kysely<DB>): Promise<MigrationStatus> {
  const infos = await migrator(db).getMigrations();
  return {
    applied: infos.filter((m) => m.executedAt !== undefined).map((m) => m.name),
    pending: infos.filter((m) => m.executedAt === undefined).map((m) => m.name),
  };
}

export interface MigrateOutcome {
  executed: string[];
}

/** Runs every pending migration (each in a transaction; concurrent starts are serialized by Kysely's lock). */
export async function migrateToLatest(db: Kysely<DB>): Promise<MigrateOutcome> {
  const { error, results }: MigrationResultSet = await migrator(db).migrateToLatest();
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
