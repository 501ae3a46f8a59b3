import { promises as fs } from "node:fs";
import type { AuditSink } from "../audit/audit-sink.js";
import type { Database } from "../db/database.js";
import { type Clock, MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import type { Progress } from "./backup-create.js";
import { type BackupEntry, keptBackups, markPruned } from "./backups-repo.js";

export interface PrunePolicy {
  /** Keep the newest N backups (at least 1). */
  keepLast?: number;
  /** Keep every backup younger than D days. */
  keepDays?: number;
}

export interface PruneResult {
  kept: BackupEntry[];
  pruned: BackupEntry[];
}

export interface BackupPruneDeps {
  database: Pick<Database, "db">;
  clock: Clock;
  audit: AuditSink;
}

function checkPolicy(policy: PrunePolicy): void {
  const { keepLast, keepDays } = policy;
  if (keepLast === undefined && keepDays === undefined)
    throw new AppError("VALIDATION_FAILED", "Say what to keep: --keep-last N and/or --keep-days D.");
  if (keepLast !== undefined && (!Number.isInteger(keepLast) || keepLast < 1))
    throw new AppError("VALIDATION_FAILED", "keep-last must be a whole number of at least 1.");
  if (keepDays !== undefined && (!Number.isInteger(keepDays) || keepDays < 0))
    throw new AppError("VALIDATION_FAILED", "keep-days must be a whole number of days (0 or more).");
}

/**
 * Deletes old archive files and marks their catalog rows pruned, which un-pins their KEK versions so the
 * next key rotation can retire them. A backup is kept when either rule keeps it, and the newest backup
 * is always kept: pruning never leaves an instance with no backup at all.
 */
export function createBackupPruner(deps: BackupPruneDeps) {
  async function prune(policy: PrunePolicy, options: { onProgress?: Progress } = {}): Promise<PruneResult> {
    checkPolicy(policy);
    const progress = options.onProgress ?? (() => undefined);
    const now = deps.clock.now();
    const cutoff =
      policy.keepDays === undefined ? null : new Date(now.getTime() - policy.keepDays * MS.day).toISOString();
    const keepLast = Math.max(1, policy.keepLast ?? 1);
    const all = await keptBackups(deps.database.db);
    const kept: BackupEntry[] = [];
    const doomed: BackupEntry[] = [];
    all.forEach((entry, index) => {
      const recent = index < keepLast;
      const young = cutoff !== null && entry.createdAt >= cutoff;
      (recent || young ? kept : doomed).push(entry);
    });
    const pruned: BackupEntry[] = [];
    progress("pruning", 0, doomed.length);
    for (const entry of doomed) {
      // File first: if we stop in between, the row still pins the KEK and the next prune finishes the job.
      await fs.rm(entry.file, { force: true });
      const at = deps.clock.now().toISOString();
      await markPruned(deps.database.db, entry.id, at);
      pruned.push({ ...entry, status: "pruned", prunedAt: at });
      progress("pruning", pruned.length, doomed.length);
    }
    await deps.audit.record({
      action: "backup.prune",
      actor: "backup",
      outcome: "success",
      target: { pruned: String(pruned.length), kept: String(kept.length) },
    });
    return { kept, pruned };
  }

  return { prune };
}
