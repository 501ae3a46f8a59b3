import { Command, CommanderError } from "commander";
import { packageVersion } from "../platform/paths.js";
import { doctorCommand } from "./doctor-command.js";
import { type CliIo, EXIT } from "./io.js";
import { migrateCommand } from "./migrate-command.js";
import { startCommand } from "./start-command.js";

function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command()
    .name("seller-pilot")
    .description("Seller Pilot: Amazon seller data, kept to the Amazon Data Protection Policy.")
    .version(packageVersion(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  program
    .command("start")
    .description("Run the HTTPS server, migrations and background jobs (demo mode without LWA credentials)")
    .action(async () => setExit(await startCommand(io)));

  program
    .command("migrate")
    .description("Apply pending database migrations")
    .option("--json", "print the outcome as JSON", false)
    .action(async (options: { json: boolean }) => setExit(await migrateCommand(io, options)));

  program
    .command("doctor")
    .description("Check configuration, key file, certificate, store and migrations; exit 1 on any problem")
    .option("--json", "print the checks as JSON", false)
    .action(async (options: { json: boolean }) => setExit(await doctorCommand(io, options)));

  for (const command of program.commands)
    command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  return program;
}

/** Runs the CLI and returns its exit code: 0 ok, 1 failed, 2 usage. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") {
        return EXIT.ok;
      }
      return EXIT.usage;
    }
    throw err;
  }
}
