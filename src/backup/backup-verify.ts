import path from "node:path";
import type { AuditSink } from "../audit/audit-sink.js";
import { isAppError } from "../platform/errors.js";
import { openArchive } from "./archive-source.js";
import type { Progress } from "./backup-create.js";
import { type BackupKeyDeps, backupKeyOpener } from "./backup-keys.js";
import type { TableManifest } from "./payload.js";

export interface VerifyResult {
  id: string;
  file: string;
  createdAt: string;
  store: "sqlite" | "postgres";
  kekVersion: number;
  migrations: string[];
  bytes: number;
  sha256: string;
  chunks: number;
  tables: TableManifest;
}

export interface BackupVerifyDeps extends BackupKeyDeps {
  audit: AuditSink;
}

/**
 * Checks a backup end to end without writing anything: its key opens, every chunk authenticates in order,
 * the final chunk is there, and every table's rows match the manifest. It needs the live vault's keys:
 * an archive's integrity cannot be checked by anyone who could not also read it.
 */
export function createBackupVerifier(deps: BackupVerifyDeps) {
  async function verify(file: string, options: { onProgress?: Progress } = {}): Promise<VerifyResult> {
    const progress = options.onProgress ?? (() => undefined);
    const resolved = path.resolve(file);
    let id = "unknown";
    try {
      const archive = await openArchive(resolved, backupKeyOpener(deps));
      id = archive.header.backupId;
      try {
        let tables: TableManifest = {};
        const summary = await archive.read(async (events, bytesRead) => {
          let reported = -1;
          for await (const event of events) {
            if (event.kind === "end") tables = event.manifest;
            if (bytesRead() !== reported) {
              reported = bytesRead();
              progress("verifying", reported, archive.size);
            }
          }
        });
        await deps.audit.record({
          action: "backup.verify",
          actor: "backup",
          outcome: "success",
          target: { backup: id },
        });
        const { header } = archive;
        return {
          id,
          file: resolved,
          createdAt: header.createdAt,
          store: header.store,
          kekVersion: header.kekVersion,
          migrations: header.migrations,
          bytes: summary.bytes,
          sha256: summary.sha256,
          chunks: summary.frames,
          tables,
        };
      } finally {
        archive.close();
      }
    } catch (err) {
      await deps.audit.record({
        action: "backup.verify",
        actor: "backup",
        outcome: "failure",
        target: { backup: id },
        reason: isAppError(err) ? err.code : "INTERNAL",
      });
      throw err;
    }
  }

  return { verify };
}

export type BackupVerifier = ReturnType<typeof createBackupVerifier>;
