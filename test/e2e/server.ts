// Starts the real product (the built CLI, `seller-pilot start`) as a child process on a random port with a
// fresh data directory, and stops it the way an operator would (SIGTERM, graceful shutdown).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const mainJs = join(repoRoot, "dist", "src", "main.js");

const READY_LINE = /Seller Pilot ready at (https:\/\/\S+)/;
const TAIL_LINES = 80;

export interface RunningServer {
  /** Origin of the running instance, e.g. https://localhost:41234 */
  url: string;
  dataDir: string;
  pid: number;
  /** The last lines the process wrote, for diagnostics. */
  output(): string;
  /** SIGTERM, wait for the graceful exit, SIGKILL after 10 s; then removes the data directory. */
  stop(): Promise<void>;
  /** Runs a CLI command (`seller-pilot <args>`) against the same data directory and environment. */
  cli(args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<CliResult>;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(
  env: NodeJS.ProcessEnv,
  args: readonly string[],
  input: string | undefined,
  timeoutMs: number,
) {
  return new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, [mainJs, ...args], {
      cwd: repoRoot,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? "");
  });
}

export interface StartOptions {
  /** Extra environment variables for the server. */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
}

class OutputTail {
  private readonly lines: string[] = [];
  private partial = "";
  /** Everything received so far on stderr is also matched as a whole, so split chunks are handled. */
  text = "";

  constructor(private readonly name: string) {}

  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > 256_000) this.text = this.text.slice(-128_000);
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > TAIL_LINES) this.lines.shift();
    }
  }

  render(): string {
    const lines = this.partial ? [...this.lines, this.partial] : this.lines;
    return `--- ${this.name} (last ${lines.length} lines) ---\n${lines.join("\n")}`;
  }
}

/** Browsers cannot (or should not) connect to wildcard addresses; use loopback instead. */
function toConnectableOrigin(printed: string): string {
  const url = new URL(printed.replace(/[.,;:)\]]+$/, ""));
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
  if (url.hostname === "[::]") url.hostname = "[::1]";
  return url.origin;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once("exit", onExit);
  });
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  if (!existsSync(mainJs)) {
    throw new Error(`${mainJs} does not exist: build the product first (npm run build).`);
  }

  const dataDir = await mkdtemp(join(tmpdir(), "seller-pilot-e2e-"));
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL; // always the embedded store: the test must not touch a developer's database
  Object.assign(env, { SELLER_PILOT_DATA_DIR: dataDir, SELLER_PILOT_PORT: "0" }, options.env);

  const child = spawn(process.execPath, [mainJs, "start"], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout = new OutputTail("stdout");
  const stderr = new OutputTail("stderr");
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => stdout.push(chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => stderr.push(chunk));
  const output = () => `${stderr.render()}\n${stdout.render()}`;

  // Never leave an orphaned server behind if the test process dies.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        if (!(await waitForExit(child, stopTimeoutMs))) {
          child.kill("SIGKILL");
          await waitForExit(child, 5_000);
        }
      }
      process.off("exit", killOnExit);
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    })();
    return stopped;
  };

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        child.stderr?.off("data", onStderr);
        child.off("close", onExit);
        child.off("error", onError);
      };
      const onStderr = () => {
        const match = READY_LINE.exec(stderr.text);
        if (match?.[1]) {
          cleanup();
          try {
            resolve(toConnectableOrigin(match[1]));
          } catch (error) {
            reject(error);
          }
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        cleanup();
        reject(new Error(`the server exited before it was ready (code ${code}, signal ${signal})`));
      };
      const onError = (error: Error) => {
        cleanup();
        reject(new Error(`could not start the server: ${error.message}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`the server was not ready within ${readyTimeoutMs / 1000} s`));
      }, readyTimeoutMs);
      child.stderr?.on("data", onStderr);
      // "close" rather than "exit": by then all of the process's output has been read.
      child.once("close", onExit);
      child.once("error", onError);
    });
    const cli = (args: readonly string[], cliOptions: { input?: string; timeoutMs?: number } = {}) =>
      runCli(env, args, cliOptions.input, cliOptions.timeoutMs ?? 60_000);
    return { url, dataDir, pid: child.pid ?? -1, output, stop, cli };
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${reason}\n${output()}`);
  }
}
