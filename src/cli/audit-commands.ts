import { createWriteStream } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { auditSigner } from "../audit/audit-chain.js";
import { exportAuditLog } from "../audit/audit-export.js";
import { verifyAuditLog } from "../audit/audit-verify.js";
import { AppError } from "../platform/errors.js";
import { type CliIo, EXIT, type SetExit, writeJson } from "./io.js";
import { withRuntime } from "./with-runtime.js";

/** An ISO-8601 UTC date or date-time (2026-01-31, 2026-01-31T12:00:00Z, with optional milliseconds). */
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function parseSince(value: string): Date | null {
  if (!ISO.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

async function writeNewFile(file: string, chunks: AsyncIterable<string>): Promise<void> {
  let out: ReturnType<typeof createWriteStream>;
  try {
    // O_EXCL: an export never overwrites a file (a SIEM's earlier export, or anything else).
    out = createWriteStream(file, {
      flags: "wx",
      mode: 0o600,
    });
    await new Promise<void>((resolve, reject) => {
      out.once("open", () => resolve());
      out.once("error", reject);
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      throw new AppError("AUDIT_EXPORT_TARGET_EXISTS", `${file} already exists; it is never overwritten.`);
    throw err;
  }
  await pipeline(Readable.from(chunks), out);
}

/** Counts what passes through, for the command's own audit entry. */
async function* counted(chunks: AsyncIterable<string>, count: { lines: number }): AsyncGenerator<string> {
  for await (const chunk of chunks) {
    for (let i = chunk.indexOf("\n"); i !== -1; i = chunk.indexOf("\n", i + 1)) count.lines += 1;
    yield chunk;
  }
}

export function registerAuditCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const audit = program
    .command("audit")
    .description("The tamper-evident audit log: verify the hash chain and signed checkpoints, export JSONL");

  audit
    .command("verify")
    .description(
      "Walk the hash chain and the signed checkpoints; exit 1 with the first altered, deleted, inserted, reordered or truncated entry, or bad signature",
    )
    .option("--json", "print the outcome as JSON", false)
    .action(async (options: { json: boolean }) =>
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const result = await verifyAuditLog(rt.database.db, {
            trustedPublicKeys: [auditSigner(rt.master.key).publicKey],
          });
          await rt.audit.record({
            action: "audit.verify",
            actor: "cli",
            outcome: result.valid ? "success" : "failure",
            ...(result.valid
              ? {}
              : { reason: result.problem.kind, target: { seq: String(result.problem.seq) } }),
          });
          if (options.json) writeJson(io, result);
          else if (result.valid)
            io.stdout(
              result.lastSeq === null
                ? "The audit log is empty.\n"
                : `The audit log holds: entries ${result.firstSeq}..${result.lastSeq} (${result.entries}), ${result.checkpoints} signed checkpoint(s), ${result.anchors} retention anchor(s); last checkpoint at ${result.lastCheckpointSeq ?? "none"}; head ${result.headHash}.\n`,
            );
          else
            io.stdout(
              `The audit log does NOT hold: ${result.problem.kind} at seq ${result.problem.seq}: ${result.problem.message}.\n`,
            );
          return result.valid ? EXIT.ok : EXIT.failed;
        }),
      ),
    );

  audit
    .command("export")
    .description("Write the entries since a time as JSON lines (stdout, or a new file) for a SIEM")
    .requiredOption("--since <time>", "ISO-8601 UTC time, e.g. 2026-01-01 or 2026-01-01T00:00:00Z")
    .option("--out <file>", "write to this new file (never overwritten) instead of stdout")
    .action(async (options: { since: string; out?: string }) => {
      const since = parseSince(options.since);
      if (!since) {
        io.stderr("error VALIDATION_FAILED: --since must be an ISO-8601 time such as 2026-01-01T00:00:00Z\n");
        setExit(EXIT.usage);
        return;
      }
      setExit(
        await withRuntime(io, false, async (rt) => {
          const count = { lines: 0 };
          const chunks = counted(exportAuditLog(rt.database.db, since), count);
          if (options.out) {
            const file = path.resolve(io.cwd, options.out);
            await writeNewFile(file, chunks);
            io.stderr(`Exported ${count.lines} audit entries to ${file}.\n`);
          } else {
            for await (const chunk of chunks) io.stdout(chunk);
          }
          await rt.audit.record({
            action: "audit.export",
            actor: "cli",
            outcome: "success",
            target: { since: since.toISOString(), entries: String(count.lines) },
          });
          return EXIT.ok;
        }),
      );
    });
}
