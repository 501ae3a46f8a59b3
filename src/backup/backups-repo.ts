import type { Kysely } from "kysely";
import type { BackupStatus, DB } from "../db/schema.js";

export interface BackupEntry {
  id: string;
  file: string;
  createdAt: string;
  kekVersion: number;
  sizeBytes: number;
  sha256: string;
  status: BackupStatus;
  prunedAt: string | null;
}

function toEntry(row: DB["backups"]): BackupEntry {
  return {
    id: row.id,
    file: row.file,
    createdAt: row.created_at,
    kekVersion: Number(row.kek_version),
    sizeBytes: Number(row.size_bytes),
    sha256: row.sha256,
    status: row.status,
    prunedAt: row.pruned_at,
  };
}

/**
 * Registers an archive before a byte of it is written: from this moment its KEK version counts as
 * referenced, so a concurrent `keys rotate` cannot retire the KEK the archive is being written under.
 */
export async function insertBackup(
  db: Kysely<DB>,
  entry: { id: string; file: string; createdAt: string; kekVersion: number },
): Promise<void> {
  await db
    .insertInto("backups")
    .values({
      id: entry.id,
      file: entry.file,
      created_at: entry.createdAt,
      kek_version: entry.kekVersion,
      size_bytes: 0,
      sha256: "",
      status: "kept",
      pruned_at: null,
    })
    .execute();
}

export async function completeBackup(
  db: Kysely<DB>,
  id: string,
  result: { sizeBytes: number; sha256: string },
): Promise<void> {
  await db
    .updateTable("backups")
    .set({ size_bytes: result.sizeBytes, sha256: result.sha256 })
    .where("id", "=", id)
    .execute();
}

/** A backup that failed half-way leaves no row (and no file) behind. */
export async function forgetBackup(db: Kysely<DB>, id: string): Promise<void> {
  await db.deleteFrom("backups").where("id", "=", id).execute();
}

/** Kept backups, newest first. */
export async function keptBackups(db: Kysely<DB>): Promise<BackupEntry[]> {
  const rows = await db
    .selectFrom("backups")
    .selectAll()
    .where("status", "=", "kept")
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .execute();
  return rows.map(toEntry);
}

export async function markPruned(db: Kysely<DB>, id: string, at: string): Promise<void> {
  await db
    .updateTable("backups")
    .set({ status: "pruned", pruned_at: at })
    .where("id", "=", id)
    .where("status", "=", "kept")
    .execute();
}

/** KEK versions some kept backup still needs; key rotation never retires these (keys rotate). */
export async function keptBackupKekVersions(db: Kysely<DB>): Promise<Set<number>> {
  const rows = await db
    .selectFrom("backups")
    .select("kek_version")
    .distinct()
    .where("status", "=", "kept")
    .execute();
  return new Set(rows.map((r) => Number(r.kek_version)));
}
