// The real CLI in its own process for tests: JSON log lines on stdout, human notices on stderr, real sockets,
// real signals, real exit codes.
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = path.join(REPO_ROOT, "src", "main.ts");
export const READY_TIMEOUT_MS = 20_000;
export const EXIT_TIMEOUT_MS = 20_000;
export const SHUTDOWN_LIMIT_MS = 10_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Cli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
  /** Resolves once `ready` holds for the output so far; rejects if the process exits or time runs out. */
  until(what: string, ready: () => boolean, timeoutMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

/** The environment of the test runner minus anything that would configure Seller Pilot, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith("SELLER_PILOT_") || name === "DATABASE_URL") continue;
    base[name] = value;
  }
  return { ...base, ...env };
}

export function runCli(args: readonly string[], env: Record<string, string>): Cli {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    changed();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
    changed();
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
      changed();
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    until(what, ready, timeoutMs = READY_TIMEOUT_MS) {
      return new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        const describeState = () =>
          `\n--- stdout ---\n${out.slice(-3000)}\n--- stderr ---\n${err.slice(-3000)}`;
        const check = () => {
          if (ready()) done();
          else if (child.exitCode !== null || child.signalCode !== null) {
            done(
              new Error(
                `process exited (${child.exitCode ?? child.signalCode}) before ${what}${describeState()}`,
              ),
            );
          }
        };
        const timer = setTimeout(
          () => done(new Error(`timed out waiting for ${what}${describeState()}`)),
          timeoutMs,
        );
        listeners.add(check);
        check();
      });
    },
  };
}

export async function waitForExit(cli: Cli, timeoutMs: number): Promise<Exit | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    return await Promise.race([cli.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function killAll(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
  running.clear();
}

export function logLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split("\n")
    .filter((line) => line.trim().startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function findLog(stdout: string, msg: string): Record<string, unknown> | undefined {
  return logLines(stdout).find((line) => line.msg === msg);
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function collect(
  res: http.IncomingMessage,
  resolve: (answer: Answer) => void,
  reject: (err: Error) => void,
) {
  const chunks: Buffer[] = [];
  res.on("data", (chunk: Buffer) => chunks.push(chunk));
  res.on("end", () =>
    resolve({
      status: res.statusCode ?? 0,
      headers: res.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    }),
  );
  res.on("error", reject);
}

export function httpsGet(port: number, urlPath: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "localhost",
        port,
        path: urlPath,
        method: "GET",
        rejectUnauthorized: false,
        agent: false,
        timeout: 5_000,
      },
      (res) => collect(res, resolve, reject),
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${urlPath} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

export function plainRequest(port: number, method: string, urlPath: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "localhost",
        port,
        path: urlPath,
        method,
        agent: false,
        timeout: 5_000,
        headers: {
          host: `localhost:${port}`,
          ...(body === undefined
            ? {}
            : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }),
        },
      },
      (res) => collect(res, resolve, reject),
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}
