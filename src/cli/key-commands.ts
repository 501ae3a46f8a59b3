import { setTimeout as delay } from "node:timers/promises";
import type { Command } from "commander";
import { findSellerAccount } from "../accounts/accounts-repo.js";
import { keptBackupKekVersions } from "../backup/backups-repo.js";
import { AppError } from "../platform/errors.js";
import { rotateAccountDataKey, rotateKek } from "../protection/key-rotation.js";
import { keystoreView } from "../secrets/vault.js";
import { type CliIo, EXIT, type SetExit, writeJson } from "./io.js";
import { progressPrinter } from "./progress.js";
import { withRuntime } from "./with-runtime.js";

function batchSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new AppError("VALIDATION_FAILED", "--batch-size must be 1..10000");
  return n;
}

function graceSeconds(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 3600) {
    throw new AppError("VALIDATION_FAILED", "--grace must be a whole number of seconds from 0 to 3600.");
  }
  return n;
}

export function registerKeyCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const keys = program.command("keys").description("Key-encryption keys and per-account data keys");

  keys
    .command("list")
    .description("Show key-encryption key versions and their status")
    .option("--json", "print as JSON", false)
    .action(async (options: { json: boolean }) =>
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const versions = await rt.keyring.list(keystoreView(rt.vault.db));
          if (options.json) writeJson(io, { provider: rt.provider.kind, versions });
          else
            for (const v of versions)
              io.stdout(`v${v.version}  ${v.status.padEnd(8)}  ${v.provider}  created ${v.createdAt}\n`);
          return EXIT.ok;
        }),
      ),
    );

  keys
    .command("rotate")
    .description(
      "Create a new key-encryption key version and re-wrap every data key under it (resumable); with --account, rotate that account's data key and re-seal its fields",
    )
    .option("--account <id>", "rotate this seller account's data key instead")
    .option("--batch-size <n>", "rows per batch", "200")
    .option(
      "--grace <seconds>",
      "with --account: how long running Seller Pilot processes may keep sealing with the old version before it is retired (0 when none is running)",
      "30",
    )
    .option("--json", "print the outcome as JSON", false)
    .action(async (options: { account?: string; batchSize: string; grace: string; json: boolean }) =>
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const onProgress = progressPrinter(io.stderr);
          const size = batchSize(options.batchSize);
          if (options.account) {
            if (!(await findSellerAccount(rt.database.db, options.account)))
              throw new AppError("ACCOUNT_NOT_FOUND");
            const deps = {
              db: rt.database.db,
              dataKeys: rt.dataKeys,
              fields: rt.fields,
              secrets: rt.secrets,
              audit: rt.audit,
              clock: rt.clock,
            };
            const run = {
              batchSize: size,
              actor: "cli",
              onProgress,
              graceMs: graceSeconds(options.grace) * 1000,
            };
            let result = await rotateAccountDataKey(deps, options.account, run);
            if (result.retirePendingUntil !== null) {
              const waitMs = Date.parse(result.retirePendingUntil) - rt.clock.now().getTime();
              onProgress(
                `waiting ${Math.ceil(waitMs / 1000)} s for running processes to adopt the new key`,
                0,
                null,
              );
              await delay(waitMs);
              const resumed = await rotateAccountDataKey(deps, options.account, run);
              result = { ...resumed, resealed: result.resealed + resumed.resealed, resumed: result.resumed };
            }
            if (options.json) writeJson(io, { account: options.account, ...result });
            else
              io.stdout(
                `Account data key now v${result.current}${result.resumed ? " (finished an interrupted rotation)" : ""}; ${result.resealed} value(s) re-sealed; retired: ${result.retired.map((v) => `v${v}`).join(", ") || "none"}.\n`,
              );
            return EXIT.ok;
          }
          const result = await rotateKek(
            {
              keystore: keystoreView(rt.vault.db),
              keyring: rt.keyring,
              dataKeys: rt.dataKeys,
              audit: rt.audit,
              externalReferences: () => keptBackupKekVersions(rt.database.db),
            },
            { batchSize: size, actor: "cli", onProgress },
          );
          if (options.json) writeJson(io, result);
          else
            io.stdout(
              `Key-encryption key now v${result.current}${result.resumed ? " (finished an interrupted rotation)" : ""}; ${result.rewrapped} data key(s) re-wrapped; retired: ${result.retired.map((v) => `v${v}`).join(", ") || "none"}${result.kept.length ? `; kept (still referenced): ${result.kept.map((v) => `v${v}`).join(", ")}` : ""}.\n`,
            );
          return EXIT.ok;
        }),
      ),
    );
}
