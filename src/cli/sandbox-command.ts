import { spawn } from "node:child_process";
import type { Command } from "commander";
import { sandboxEntry } from "../demo/sandbox-entry.js";
import { type CliIo, EXIT, type SetExit } from "./io.js";

/**
 * The sandbox is its own program (it shares no code with src/, and production code reaches it only over
 * HTTP, exactly like Amazon): this command runs its entry as a child with the same runtime flags, passes
 * the arguments through, and forwards stop signals.
 */
export function runSandbox(args: readonly string[], io: CliIo): Promise<number> {
  const entry = sandboxEntry();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...entry.execArgv, entry.file, ...args], {
      env: { ...io.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => io.stdout(chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => io.stderr(chunk));
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onInt = forward("SIGINT");
    const onTerm = forward("SIGTERM");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
    child.on("error", (err) => {
      io.stderr(`error SANDBOX_FAILED: the sandbox could not start (${err.message})\n`);
    });
    child.on("close", (code, signal) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      if (code === 2) resolve(EXIT.usage);
      else resolve(code === 0 || signal === "SIGINT" || signal === "SIGTERM" ? EXIT.ok : EXIT.failed);
    });
  });
}

export function registerSandboxCommand(program: Command, io: CliIo, setExit: SetExit): void {
  program
    .command("sandbox")
    .description(
      "Run the SP-API simulator on loopback (LWA, Orders, Reports, Inventory, Finances, Pricing, faults); prints one JSON line with its endpoints and credentials. Options: see `seller-pilot sandbox --help`",
    )
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument(
      "[options...]",
      "passed to the sandbox (--port, --orders, --seed, --sellers, --time-scale, --pii-canary, faults)",
    )
    .action(async (args: string[]) => setExit(await runSandbox(args, io)));
}
