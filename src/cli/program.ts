import { Command, CommanderError } from "commander";
import { packageVersion } from "../platform/paths.js";
import { registerAccountCommands } from "./account-commands.js";
import { registerAuditCommands } from "./audit-commands.js";
import { registerBackupCommands } from "./backup-commands.js";
import { registerClientSecretCommands } from "./client-secret-commands.js";
import { registerComplianceCommands } from "./compliance-commands.js";
import { doctorCommand } from "./doctor-command.js";
import { registerIdentityCommands } from "./identity-commands.js";
import { registerIncidentCommands } from "./incident-commands.js";
import { type CliIo, EXIT, type SetExit } from "./io.js";
import { registerKeyCommands } from "./key-commands.js";
import { migrateCommand } from "./migrate-command.js";
import { registerRetentionCommands } from "./retention-commands.js";
import { registerSandboxCommand } from "./sandbox-command.js";
import { startCommand } from "./start-command.js";
import { registerSyncCommand } from "./sync-command.js";

/** A command group: adds its commands to the program. */
type CommandRegistrar = (program: Command, io: CliIo, setExit: SetExit) => void;

function registerCoreCommands(program: Command, io: CliIo, setExit: SetExit): void {
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
}

const REGISTRARS: readonly CommandRegistrar[] = [
  registerCoreCommands,
  registerAccountCommands,
  registerIdentityCommands,
  registerKeyCommands,
  registerBackupCommands,
  registerSandboxCommand,
  registerClientSecretCommands,
  registerSyncCommand,
  registerAuditCommands,
  registerIncidentCommands,
  registerRetentionCommands,
  registerComplianceCommands,
];

function configure(command: Command, io: CliIo): void {
  command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const sub of command.commands) configure(sub, io);
}

function buildProgram(io: CliIo, setExit: SetExit): Command {
  const program = new Command()
    .name("seller-pilot")
    .description("Seller Pilot: Amazon seller data, kept to the Amazon Data Protection Policy.")
    .version(packageVersion(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)");
  for (const register of REGISTRARS) register(program, io, setExit);
  configure(program, io);
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
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT.ok;
      return EXIT.usage;
    }
    throw err;
  }
}
