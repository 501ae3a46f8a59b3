import type { Command } from "commander";
import { findSellerAccount } from "../accounts/accounts-repo.js";
import { AppError } from "../platform/errors.js";
import { STREAMS, type Stream, type SyncProgress, type SyncSummary } from "../sync/sync-engine.js";
import { type CliIo, EXIT, type SetExit, writeJson } from "./io.js";
import { withRuntime } from "./with-runtime.js";
import { withSpApi } from "./with-spapi.js";

const BAR_WIDTH = 24;

function parseStreams(raw: string | undefined): Stream[] | undefined {
  if (raw === undefined) return undefined;
  const wanted = raw.split(",").map((s) => s.trim());
  const unknown = wanted.filter((s) => !(STREAMS as readonly string[]).includes(s));
  if (unknown.length > 0 || wanted.length === 0) {
    throw new AppError("VALIDATION_FAILED", `--streams takes a list of: ${STREAMS.join(", ")}`);
  }
  return wanted as Stream[];
}

/** One line per phase change, at most every half second otherwise: a bar where the total is known. */
export function syncProgressPrinter(write: (text: string) => void, minIntervalMs = 500) {
  let last = 0;
  let lastKey = "";
  return (p: SyncProgress) => {
    const key = `${p.stream}/${p.phase}`;
    const now = Date.now();
    const finished = p.total !== undefined && p.done >= p.total;
    if (key === lastKey && !finished && now - last < minIntervalMs) return;
    last = now;
    lastKey = key;
    const total = p.total;
    const bar =
      total !== undefined && total > 0
        ? (() => {
            const filled = Math.min(BAR_WIDTH, Math.round((p.done / total) * BAR_WIDTH));
            const pct = Math.min(100, Math.floor((p.done / total) * 100));
            return ` [${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${pct}% ${p.done}/${total}`;
          })()
        : ` ${p.done}`;
    write(`${p.stream} ${p.phase}${bar} · ${p.fetched} fetched\n`);
  };
}

function summaryText(s: SyncSummary): string {
  const lines = [
    `Sync of ${s.accountId} ${s.ok ? "finished" : `stopped${s.errorCode ? ` (${s.errorCode})` : " with errors"}`} in ${(s.durationMs / 1000).toFixed(1)} s.`,
  ];
  for (const st of s.streams) {
    const detail =
      st.status === "skipped"
        ? `skipped (${st.skippedReason ?? "not requested"})`
        : `${st.status}${st.errorCode ? ` ${st.errorCode}` : ""}: ${st.fetched} fetched, ${st.inserted} new, ${st.updated} updated, ${st.unchanged} unchanged${st.throttled ? `, ${st.throttled} throttled` : ""}`;
    lines.push(`  ${st.stream.padEnd(10)} ${detail}`);
  }
  return `${lines.join("\n")}\n`;
}

export function registerSyncCommand(program: Command, io: CliIo, setExit: SetExit): void {
  program
    .command("sync")
    .description(
      "Sync one seller account from Amazon now: orders (a two-year backfill through reports the first time, then incremental), inventory, pricing and finances, as its enabled features allow",
    )
    .requiredOption("--account <id>", "the seller account id (see account list)")
    .option("--full", "backfill the orders again from scratch and re-read every stream's history", false)
    .option("--streams <list>", `only these streams (${STREAMS.join(",")})`)
    .option("--json", "print the summary as JSON", false)
    .action(async (options: { account: string; full: boolean; streams?: string; json: boolean }) =>
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const streams = parseStreams(options.streams);
          if (options.account.length > 64 || !(await findSellerAccount(rt.database.db, options.account))) {
            throw new AppError("ACCOUNT_NOT_FOUND");
          }
          const summary = await withSpApi(rt, (spapi) => {
            const controller = new AbortController();
            // Ctrl-C stops at the next safe point: whatever was stored stays, the next run resumes from it.
            const stop = () => controller.abort();
            process.once("SIGINT", stop);
            return spapi.sync
              .run(options.account, {
                full: options.full,
                ...(streams ? { streams } : {}),
                onProgress: syncProgressPrinter((text) => io.stderr(text)),
                signal: controller.signal,
              })
              .finally(() => process.off("SIGINT", stop));
          });
          if (options.json) writeJson(io, summary);
          else io.stdout(summaryText(summary));
          return summary.ok ? EXIT.ok : EXIT.failed;
        }),
      ),
    );
}
