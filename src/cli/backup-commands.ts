import path from "node:path";
import type { Command } from "commander";
import { createBackupExporter } from "../backup/backup-create.js";
import { createRestoreDrill } from "../backup/backup-drill.js";
import { createBackupPruner, type PrunePolicy } from "../backup/backup-prune.js";
import { createBackupRestorer } from "../backup/backup-restore.js";
import { createBackupVerifier } from "../backup/backup-verify.js";
import { describePostgresUrl, type RestoreTarget } from "../backup/restore-target.js";
import type { Runtime } from "../runtime.js";
import { keystoreView } from "../secrets/vault.js";
import { type CliIo, EXIT, type SetExit, writeJson } from "./io.js";
import { progressPrinter } from "./progress.js";
import { withRuntime } from "./with-runtime.js";

/** The runtime as src/backup sees it: the vault's keystore (KEK versions), never the vault's secrets. */
function backupDeps(rt: Runtime) {
  return { ...rt, keystore: keystoreView(rt.vault.db) };
}

function usage(io: CliIo, setExit: SetExit, message: string): void {
  io.stderr(`error VALIDATION_FAILED: ${message}\n`);
  setExit(EXIT.usage);
}

function wholeNumber(value: string | undefined, min: number): number | undefined | null {
  if (value === undefined) return undefined;
  const n = Number(value);
  return /^[0-9]+$/.test(value) && Number.isSafeInteger(n) && n >= min ? n : null;
}

function tableSummary(tables: Readonly<Record<string, { rows: number }>>): string {
  return Object.entries(tables)
    .map(([name, t]) => `${name}=${t.rows}`)
    .join(", ");
}

function defaultArchivePath(dataDir: string, now: Date): string {
  return path.join(dataDir, "backups", `seller-pilot-${now.toISOString().replace(/[:.]/g, "-")}.spbak`);
}

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== "";
  } catch {
    return false;
  }
}

export function registerBackupCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const backup = program
    .command("backup")
    .description(
      "Encrypted backups of the data store (AES-256-GCM archives): create, verify, restore, drill, prune",
    );

  backup
    .command("create")
    .description("Write an encrypted backup of every data-store table from one consistent snapshot")
    .option(
      "--out <file>",
      "archive to write (never overwritten); default <data dir>/backups/seller-pilot-<time>.spbak",
    )
    .option("--json", "print the outcome as JSON", false)
    .action(async (options: { out?: string; json: boolean }) =>
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const out = options.out
            ? path.resolve(io.cwd, options.out)
            : defaultArchivePath(rt.config.dataDir, rt.clock.now());
          const result = await createBackupExporter(backupDeps(rt)).create(out, {
            onProgress: progressPrinter(io.stderr),
          });
          if (options.json) writeJson(io, result);
          else
            io.stdout(
              `Backup ${result.id} written to ${result.file}: ${result.bytes} bytes, sha256 ${result.sha256}, KEK v${result.kekVersion}.\nTables: ${tableSummary(result.tables)}.\n`,
            );
          return EXIT.ok;
        }),
      ),
    );

  backup
    .command("verify")
    .description("Check a backup end to end (key, every chunk, manifest) without writing anything")
    .argument("<file>", "the archive")
    .option("--json", "print the outcome as JSON", false)
    .action(async (file: string, options: { json: boolean }) =>
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const result = await createBackupVerifier(backupDeps(rt)).verify(path.resolve(io.cwd, file), {
            onProgress: progressPrinter(io.stderr),
          });
          if (options.json) writeJson(io, { ok: true, ...result });
          else
            io.stdout(
              `Backup ${result.id} (created ${result.createdAt}, ${result.store}, KEK v${result.kekVersion}) is intact: ${result.chunks} chunk(s), ${result.bytes} bytes, sha256 ${result.sha256}.\nTables: ${tableSummary(result.tables)}.\n`,
            );
          return EXIT.ok;
        }),
      ),
    );

  backup
    .command("restore")
    .description(
      "Restore a backup into an empty directory (a new encrypted SQLite store) or an empty PostgreSQL database",
    )
    .argument("<file>", "the archive")
    .option("--to <dir>", "an empty (or new) directory: creates <dir>/seller-pilot.db")
    .option(
      "--database-url <url>",
      "an empty PostgreSQL database (postgres://..., without a password: use PGPASSWORD, ~/.pgpass or --database-url-env)",
    )
    .option("--database-url-env <name>", "read the target database URL from this environment variable")
    .option("--json", "print the outcome as JSON", false)
    .action(
      async (
        file: string,
        options: { to?: string; databaseUrl?: string; databaseUrlEnv?: string; json: boolean },
      ) => {
        const given = [options.to, options.databaseUrl, options.databaseUrlEnv].filter(
          (o) => o !== undefined,
        );
        if (given.length !== 1) {
          usage(io, setExit, "give exactly one of --to DIR, --database-url URL or --database-url-env NAME");
          return;
        }
        const databaseUrl =
          options.databaseUrlEnv === undefined ? options.databaseUrl : io.env[options.databaseUrlEnv];
        if (options.databaseUrlEnv !== undefined && !databaseUrl) {
          usage(io, setExit, `the environment variable ${options.databaseUrlEnv.slice(0, 64)} is not set`);
          return;
        }
        if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
          usage(io, setExit, "the target database URL must be a postgres:// URL");
          return;
        }
        // Command lines are visible to every local user (ps, /proc): a password there would leak.
        if (options.databaseUrl !== undefined && hasPassword(options.databaseUrl)) {
          usage(
            io,
            setExit,
            "--database-url must not carry a password (it would show in ps); use PGPASSWORD, ~/.pgpass or --database-url-env",
          );
          return;
        }
        const target: RestoreTarget = databaseUrl
          ? { kind: "postgres", url: databaseUrl }
          : { kind: "sqlite", dir: path.resolve(io.cwd, options.to as string) };
        setExit(
          await withRuntime(io, options.json, async (rt) => {
            const result = await createBackupRestorer(backupDeps(rt)).restore(
              path.resolve(io.cwd, file),
              target,
              {
                onProgress: progressPrinter(io.stderr),
              },
            );
            if (options.json) writeJson(io, result);
            else
              io.stdout(
                `Restored backup ${result.id} (created ${result.createdAt}) into ${result.location}; every table matches its manifest.\nTables: ${tableSummary(result.tables)}.\nSealed values open only with this instance's vault (secrets.db / vault tables) and master key.\n`,
              );
            return EXIT.ok;
          }),
        );
      },
    );

  backup
    .command("drill")
    .description("Back up, restore into a scratch store, compare every table and write a signed drill report")
    .option("--json", "print the report as JSON", false)
    .action(async (options: { json: boolean }) =>
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const { report, file } = await createRestoreDrill(backupDeps(rt)).drill({
            onProgress: progressPrinter(io.stderr),
          });
          if (options.json) writeJson(io, { file, report });
          else {
            const into =
              rt.config.database.kind === "postgres"
                ? ` (${describePostgresUrl(rt.config.database.url)})`
                : "";
            io.stdout(
              `Restore drill ${report.outcome}${report.error ? `: ${report.error.code} ${report.error.message}` : ""}; restored into ${report.restoredInto}${into}.\nTables: ${tableSummary(report.tables)}.\nSigned report: ${file}\n`,
            );
          }
          return report.outcome === "passed" ? EXIT.ok : EXIT.failed;
        }),
      ),
    );

  backup
    .command("prune")
    .description("Delete old archives (the newest is always kept) and un-pin their key-encryption keys")
    .option("--keep-last <n>", "keep the newest N backups")
    .option("--keep-days <d>", "keep backups younger than D days")
    .option("--json", "print the outcome as JSON", false)
    .action(async (options: { keepLast?: string; keepDays?: string; json: boolean }) => {
      const keepLast = wholeNumber(options.keepLast, 1);
      const keepDays = wholeNumber(options.keepDays, 0);
      if (keepLast === null || keepDays === null || (keepLast === undefined && keepDays === undefined)) {
        usage(io, setExit, "give --keep-last N (N >= 1) and/or --keep-days D (D >= 0)");
        return;
      }
      const policy: PrunePolicy = {
        ...(keepLast !== undefined ? { keepLast } : {}),
        ...(keepDays !== undefined ? { keepDays } : {}),
      };
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const result = await createBackupPruner(rt).prune(policy, {
            onProgress: progressPrinter(io.stderr),
          });
          if (options.json) writeJson(io, result);
          else {
            io.stdout(`Pruned ${result.pruned.length} backup(s); kept ${result.kept.length}.\n`);
            for (const entry of result.pruned)
              io.stdout(`  pruned ${entry.id}  ${entry.createdAt}  ${entry.file}\n`);
          }
          return EXIT.ok;
        }),
      );
    });
}
