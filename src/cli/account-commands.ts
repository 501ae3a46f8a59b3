import type { Command } from "commander";
import { deleteSellerAccount } from "../accounts/account-deletion.js";
import { listSellerAccounts } from "../accounts/accounts-repo.js";
import { type CliIo, EXIT, type SetExit, writeJson } from "./io.js";
import { withRuntime } from "./with-runtime.js";

const ACCOUNT_ID = /^[A-Za-z0-9-]{1,64}$/;

export function registerAccountCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const account = program.command("account").description("Seller accounts connected to this instance");

  account
    .command("list")
    .description("List seller accounts (no personal data)")
    .option("--json", "print as JSON", false)
    .action(async (options: { json: boolean }) =>
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const accounts = await listSellerAccounts(rt.database.db);
          if (options.json) writeJson(io, { accounts });
          else if (accounts.length === 0) io.stdout("No seller accounts.\n");
          else
            for (const a of accounts) io.stdout(`${a.id}  ${a.status.padEnd(21)}  ${a.region}  ${a.name}\n`);
          return EXIT.ok;
        }),
      ),
    );

  account
    .command("delete")
    .description(
      "Delete a seller account by crypto-shredding: its data keys are destroyed, then its rows and secrets",
    )
    .requiredOption("--account <id>", "the seller account id (see account list)")
    .option("--json", "print the deletion receipt as JSON", false)
    .action(async (options: { account: string; json: boolean }) => {
      if (!ACCOUNT_ID.test(options.account)) {
        io.stderr("error VALIDATION_FAILED: --account must be an account id (letters, digits, dashes)\n");
        setExit(EXIT.usage);
        return;
      }
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const receipt = await deleteSellerAccount(
            {
              database: rt.database,
              vault: rt.vault,
              dataKeys: rt.dataKeys,
              secrets: rt.secrets,
              audit: rt.audit,
              clock: rt.clock,
            },
            options.account,
            "cli",
          );
          if (options.json) writeJson(io, { receipt });
          else {
            io.stdout(
              `Deleted seller account ${options.account}: ${receipt.details.dataKeyVersionsDestroyed} data key version(s) destroyed, ${receipt.details.secretsDeleted} secret(s) and ${Object.values(receipt.details.rowsDeleted).reduce((a, b) => a + b, 0)} row(s) deleted.\nReceipt ${receipt.id} (sha256 ${receipt.receiptHash}).\n`,
            );
          }
          return EXIT.ok;
        }),
      );
    });
}
