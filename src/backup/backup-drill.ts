import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import type { Config } from "../config/config.js";
import { openPostgres } from "../db/database.js";
import { isAppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import {
  type BackupCreateDeps,
  type BackupResult,
  createBackupExporter,
  type Progress,
} from "./backup-create.js";
import { type BackupRestoreDeps, createBackupRestorer, type RestoreResult } from "./backup-restore.js";
import { createBackupVerifier } from "./backup-verify.js";
import { type DrillReport, type DrillTableResult, signDrillReport } from "./drill-report.js";
import type { RestoreTarget } from "./restore-target.js";

export interface RestoreDrillDeps extends BackupCreateDeps, BackupRestoreDeps {
  config: Pick<Config, "dataDir" | "database">;
}

export function drillsDirectory(dataDir: string): string {
  return path.join(dataDir, "backups", "drills");
}

/** The scratch database a drill restores into: named after the drill, so a leftover can be traced to it. */
export function drillDatabaseName(drillId: string): string {
  return `sp_drill_${drillId
    .replace(/[^0-9a-f]/gi, "")
    .slice(0, 24)
    .toLowerCase()}`;
}

/** A scratch database next to the live one (same server, same credentials; needs CREATEDB). */
async function temporaryPostgresDatabase(
  liveUrl: string,
  name: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = await openPostgres(liveUrl, 1);
  try {
    await sql`CREATE DATABASE ${sql.id(name)}`.execute(admin.db);
  } finally {
    await admin.close();
  }
  const url = new URL(liveUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = await openPostgres(liveUrl, 1);
      try {
        await sql`DROP DATABASE IF EXISTS ${sql.id(name)} WITH (FORCE)`.execute(again.db);
      } finally {
        await again.close();
      }
    },
  };
}

function describeError(err: unknown): { code: string; message: string } {
  // Only catalogued errors carry their message: anything else could quote SQL or a driver's internals.
  return isAppError(err)
    ? { code: err.code, message: err.message }
    : { code: "INTERNAL", message: "unexpected failure" };
}

function compareTables(
  created: BackupResult | null,
  restored: RestoreResult | null,
): Record<string, DrillTableResult> {
  const out: Record<string, DrillTableResult> = {};
  for (const [table, want] of Object.entries(created?.tables ?? {})) {
    const got = restored?.tables[table] ?? null;
    out[table] = {
      rows: want.rows,
      sha256: want.sha256,
      restoredRows: got?.rows ?? null,
      restoredSha256: got?.sha256 ?? null,
      match: got !== null && got.rows === want.rows && got.sha256 === want.sha256,
    };
  }
  return out;
}

/**
 * Proves the backups can be restored: backs up to a scratch directory, verifies, restores into a scratch
 * SQLite directory (or a scratch database on the live PostgreSQL server), compares every table's digest
 * and writes a report signed with the instance's Ed25519 key to <dataDir>/backups/drills/. A failed
 * drill still writes its (signed) report; the caller decides what failing means.
 */
export function createRestoreDrill(deps: RestoreDrillDeps) {
  const exporter = createBackupExporter(deps);
  const verifier = createBackupVerifier(deps);
  const restorer = createBackupRestorer(deps);

  async function drill(
    options: { onProgress?: Progress } = {},
  ): Promise<{ report: DrillReport; file: string }> {
    const id = newId();
    const started = performance.now();
    const startedAt = deps.clock.now().toISOString();
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "sp-drill-"));
    const live = deps.config.database;
    let scratchDb: { url: string; drop(): Promise<void> } | null = null;
    let created: BackupResult | null = null;
    let restored: RestoreResult | null = null;
    let error: { code: string; message: string } | null = null;
    try {
      created = await exporter.create(path.join(scratch, "drill.spbak"), { register: false, ...options });
      await verifier.verify(created.file, options);
      let target: RestoreTarget = { kind: "sqlite", dir: path.join(scratch, "restored") };
      if (live.kind === "postgres") {
        scratchDb = await temporaryPostgresDatabase(live.url, drillDatabaseName(id));
        target = { kind: "postgres", url: scratchDb.url };
      }
      restored = await restorer.restore(created.file, target, options);
    } catch (err) {
      error = describeError(err);
    } finally {
      try {
        await scratchDb?.drop();
      } catch (err) {
        // A scratch copy of the data left on the server is a failure of the drill, not a footnote.
        error ??= { code: describeError(err).code, message: "The scratch database could not be dropped." };
      }
      await fs.rm(scratch, { recursive: true, force: true });
    }
    const tables = compareTables(created, restored);
    const passed =
      error === null && Object.values(tables).every((t) => t.match) && Object.keys(tables).length > 0;
    const report: DrillReport = {
      kind: "seller-pilot-restore-drill",
      version: 1,
      id,
      startedAt,
      finishedAt: deps.clock.now().toISOString(),
      durationMs: Math.round(performance.now() - started),
      outcome: passed ? "passed" : "failed",
      store: deps.database.kind,
      restoredInto: live.kind === "postgres" ? "postgres" : "sqlite",
      backup: created && {
        id: created.id,
        createdAt: created.createdAt,
        bytes: created.bytes,
        sha256: created.sha256,
        kekVersion: created.kekVersion,
        migrations: created.migrations,
      },
      tables,
      error,
    };
    const dir = drillsDirectory(deps.config.dataDir);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `drill-${startedAt.replace(/[:.]/g, "-")}-${id}.json`);
    await fs.writeFile(file, signDrillReport(report, deps.master.key), { flag: "wx", mode: 0o600 });
    await deps.audit.record({
      action: "backup.drill",
      actor: "backup",
      outcome: passed ? "success" : "failure",
      target: { drill: id },
      ...(error ? { reason: error.code } : {}),
    });
    return { report, file };
  }

  return { drill };
}
