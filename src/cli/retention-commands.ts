import type { Command } from "commander";
import { auditSigner } from "../audit/audit-chain.js";
import { createRetentionService, type RetentionService } from "../retention/retention-service.js";
import type { Runtime } from "../runtime.js";
import { type CliIo, EXIT, type SetExit, writeJson } from "./io.js";
import { progressPrinter } from "./progress.js";
import { withRuntime } from "./with-runtime.js";

/** An ISO-8601 date or date-time with a zone (2026-01-31, 2026-01-31T12:00:00Z). */
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function parseAt(value: string | undefined): Date | null | undefined {
  if (value === undefined) return undefined;
  if (!ISO.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function serviceFor(rt: Runtime): RetentionService {
  return createRetentionService({
    database: rt.database,
    vault: rt.vault,
    dataKeys: rt.dataKeys,
    secrets: rt.secrets,
    audit: rt.audit,
    clock: rt.clock,
    signer: auditSigner(rt.master.key),
    ...(rt.config.retention ? { accountGraceDays: rt.config.retention.accountGraceDays } : {}),
  });
}

/** Parses --at, or reports the usage error and returns false. */
function withAt(
  io: CliIo,
  setExit: SetExit,
  raw: string | undefined,
  then: (at: Date | undefined) => Promise<void>,
) {
  const at = parseAt(raw);
  if (at === null) {
    io.stderr("error VALIDATION_FAILED: --at must be an ISO-8601 time such as 2026-01-01T00:00:00Z\n");
    setExit(EXIT.usage);
    return Promise.resolve();
  }
  return then(at);
}

export function registerRetentionCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const retention = program
    .command("retention")
    .description(
      "Apply the retention policy (buyer data, Amazon data, closed accounts, audit segments) and report on it",
    );

  retention
    .command("run")
    .description(
      "Delete what the policy says is due (unless under a legal hold), make it final on disk, and write a deletion receipt to the audit log",
    )
    .option("--at <time>", "apply the policy as of this ISO-8601 time instead of now")
    .option("--json", "print the receipt as JSON", false)
    .action((options: { at?: string; json: boolean }) =>
      withAt(io, setExit, options.at, async (at) =>
        setExit(
          await withRuntime(io, options.json, async (rt) => {
            const result = await serviceFor(rt).run({
              ...(at ? { at } : {}),
              actor: "cli",
              onProgress: progressPrinter(io.stderr),
            });
            if (options.json) writeJson(io, result);
            else {
              const { receipt } = result;
              io.stdout(
                `Retention run ${receipt.run} as of ${receipt.asOf} (policy ${receipt.policyVersion}):\n`,
              );
              for (const [type, n] of Object.entries(receipt.deleted)) io.stdout(`  ${type}: ${n} deleted\n`);
              io.stdout(
                `  held by legal holds: ${receipt.held.buyerPii} buyer record(s), ${receipt.held.accounts} account(s)\n`,
              );
              if (receipt.audit.error) io.stdout(`  audit retention skipped: ${receipt.audit.error}\n`);
              io.stdout(`Receipt ${result.receiptHash} written to the audit log.\n`);
            }
            return EXIT.ok;
          }),
        ),
      ),
    );

  retention
    .command("status")
    .description(
      "Per data type: records kept, records overdue for deletion, records held; scheduled account deletions",
    )
    .option("--at <time>", "report as of this ISO-8601 time instead of now")
    .option("--json", "print the status as JSON", false)
    .action((options: { at?: string; json: boolean }) =>
      withAt(io, setExit, options.at, async (at) =>
        setExit(
          await withRuntime(io, options.json, async (rt) => {
            const status = await serviceFor(rt).status(at ? { at } : {});
            if (options.json) writeJson(io, status);
            else {
              io.stdout(`Retention status as of ${status.asOf} (policy ${status.policyVersion}):\n`);
              for (const t of status.dataTypes)
                io.stdout(
                  `  ${t.type.padEnd(26)} records ${t.records}, overdue ${t.overdue}, held ${t.held}\n`,
                );
              for (const d of status.scheduledDeletions)
                io.stdout(
                  `  account ${d.accountId}: ${d.kind} deletion after ${d.executeAfter} (deadline ${d.deadline})\n`,
                );
              if (status.lastRun) io.stdout(`Last run ${status.lastRun.id}: ${status.lastRun.status}.\n`);
            }
            return EXIT.ok;
          }),
        ),
      ),
    );
}
