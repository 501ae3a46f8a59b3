import { promises as fs } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { auditSigner } from "../audit/audit-chain.js";
import { renderComplianceHtml, renderComplianceText } from "../compliance/compliance-html.js";
import { gatherComplianceReport } from "../compliance/compliance-report.js";
import type { ComplianceReport } from "../compliance/compliance-types.js";
import { packageVersion } from "../platform/paths.js";
import { createRetentionService } from "../retention/retention-service.js";
import type { Runtime } from "../runtime.js";
import { keystoreView } from "../secrets/vault.js";
import { type CliIo, EXIT, type SetExit } from "./io.js";
import { withRuntime } from "./with-runtime.js";

/** An ISO-8601 date or date-time with a zone (same grammar as `retention --at`). */
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

interface ReportOptions {
  json: boolean;
  html: boolean;
  out?: string;
  at?: string;
}

function usage(io: CliIo, setExit: SetExit, message: string): void {
  io.stderr(`error VALIDATION_FAILED: ${message}\n`);
  setExit(EXIT.usage);
}

export async function complianceReportFor(rt: Runtime, at?: Date): Promise<ComplianceReport> {
  const retention = createRetentionService({
    database: rt.database,
    vault: rt.vault,
    dataKeys: rt.dataKeys,
    secrets: rt.secrets,
    audit: rt.audit,
    clock: rt.clock,
    signer: auditSigner(rt.master.key),
    ...(rt.config.retention ? { accountGraceDays: rt.config.retention.accountGraceDays } : {}),
  });
  return gatherComplianceReport(
    {
      config: rt.config,
      db: rt.database.db,
      keks: () => rt.keyring.list(keystoreView(rt.vault.db)),
      dataKeys: rt.dataKeys,
      secrets: rt.secrets,
      master: rt.master.key,
      retention,
      appVersion: packageVersion(),
    },
    { now: rt.clock.now(), ...(at ? { at } : {}) },
  );
}

/** Writes the report readable by the owner only: it describes the instance's defences. */
async function writeOwnerOnly(file: string, text: string): Promise<void> {
  const handle = await fs.open(file, "w", 0o600);
  try {
    // An existing file keeps its mode on open: narrow it before any byte is written.
    await handle.chmod(0o600);
    await handle.writeFile(text, "utf8");
  } finally {
    await handle.close();
  }
}

export function registerComplianceCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const compliance = program
    .command("compliance")
    .description("Evidence for Amazon's security questionnaire and auditors, read from this instance");

  compliance
    .command("report")
    .description(
      "The retention and security controls as configured now (transport, encryption, access, audit, retention, incidents, SP-API roles), each ok, warning or failed with its evidence; exit 1 when any control failed",
    )
    .option("--json", "print the report as JSON", false)
    .option("--html", "print the report as a self-contained HTML document", false)
    .option("--out <file>", "write the report to this file (mode 600) instead of stdout")
    .option("--at <time>", "evaluate deadlines and retention as of this ISO-8601 time instead of now")
    .action(async (options: ReportOptions) => {
      if (options.json && options.html) return usage(io, setExit, "choose one of --json and --html");
      let at: Date | undefined;
      if (options.at !== undefined) {
        at = new Date(options.at);
        if (!ISO.test(options.at) || Number.isNaN(at.getTime()))
          return usage(io, setExit, "--at must be an ISO-8601 time such as 2026-01-01T00:00:00Z");
      }
      if (options.out !== undefined && (options.out.length === 0 || options.out.length > 4096))
        return usage(io, setExit, "--out must name a file");
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const report = await complianceReportFor(rt, at);
          // Who produced evidence for an auditor, and what it said, is itself part of the trail.
          await rt.audit.record({
            action: "compliance.report",
            actor: "cli",
            outcome: "success",
            target: {
              ok: String(report.summary.ok),
              warning: String(report.summary.warning),
              failed: String(report.summary.failed),
            },
          });
          const text = options.json
            ? `${JSON.stringify(report, null, 2)}\n`
            : options.html
              ? renderComplianceHtml(report)
              : renderComplianceText(report);
          if (options.out === undefined) io.stdout(text);
          else {
            const file = path.resolve(io.cwd, options.out);
            await writeOwnerOnly(file, text);
            io.stderr(
              `Wrote ${file}: ${report.summary.ok} ok, ${report.summary.warning} warning, ${report.summary.failed} failed.\n`,
            );
          }
          return report.summary.failed > 0 ? EXIT.failed : EXIT.ok;
        }),
      );
    });
}
