// The real CLI as an operator runs it: `seller-pilot start` in its own process, its JSON log lines on
// stdout, its human notices on stderr, real sockets, real signals, real exit codes.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { tempDir } from "./support/stores.js";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const MAIN = path.join(REPO_ROOT, "src", "main.ts");
const READY_TIMEOUT_MS = 20_000;
const EXIT_TIMEOUT_MS = 20_000;
const SHUTDOWN_LIMIT_MS = 10_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Cli {
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

function runCli(args: readonly string[], env: Record<string, string>): Cli {
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

async function waitForExit(cli: Cli, timeoutMs: number): Promise<Exit | "timeout"> {
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

async function killAll(): Promise<void> {
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

function logLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split("\n")
    .filter((line) => line.trim().startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function findLog(stdout: string, msg: string): Record<string, unknown> | undefined {
  return logLines(stdout).find((line) => line.msg === msg);
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function collect(res: http.IncomingMessage, resolve: (answer: Answer) => void, reject: (err: Error) => void) {
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

function httpsGet(port: number, urlPath: string): Promise<Answer> {
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

function plainRequest(port: number, method: string, urlPath: string, body?: string): Promise<Answer> {
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

const SERVE_ENV = { SELLER_PILOT_PORT: "0", SELLER_PILOT_HTTP_REDIRECT_PORT: "0" } as const;

/** Starts `seller-pilot start` and waits for both the "listening" log line and the ready notice. */
async function startServer(dataDir: string): Promise<{ cli: Cli; listening: Record<string, unknown> }> {
  const cli = runCli(["start"], { ...SERVE_ENV, SELLER_PILOT_DATA_DIR: dataDir });
  await cli.until(
    'the "listening" log line and the ready notice',
    () =>
      findLog(cli.stdout(), "listening") !== undefined &&
      /Seller Pilot ready at https:\/\/\S+/.test(cli.stderr()),
  );
  const listening = findLog(cli.stdout(), "listening") as Record<string, unknown>;
  return { cli, listening };
}

async function stopGracefully(cli: Cli): Promise<{ exit: Exit | "timeout"; elapsedMs: number }> {
  const started = Date.now();
  cli.child.kill("SIGTERM");
  const exit = await waitForExit(cli, SHUTDOWN_LIMIT_MS + 2_000);
  return { exit, elapsedMs: Date.now() - started };
}

describe("seller-pilot start (development defaults, fresh data dir)", () => {
  const data = tempDir("sp-process-");
  let firstInstanceId: unknown;

  afterEach(killAll);
  afterAll(async () => {
    await killAll();
    data.remove();
  });

  test("first start: key generated 0600 with a warning, HTTPS + redirect listener, graceful SIGTERM", async () => {
    const { cli, listening } = await startServer(data.dir);
    const port = listening.port as number;
    const redirectPort = listening.redirectPort as number;
    expect(port).toBeGreaterThan(0);
    expect(redirectPort).toBeGreaterThan(0);
    expect(redirectPort).not.toBe(port);
    expect(listening.url).toBe(`https://localhost:${port}`);
    expect(listening.store).toBe("sqlite");
    expect(String(listening.instanceId)).toMatch(/\S/);
    firstInstanceId = listening.instanceId;
    expect(cli.stderr()).toContain(`Seller Pilot ready at https://localhost:${port}`);

    // The development master key: generated, private to its owner, announced loudly on stderr.
    const keyFile = path.join(data.dir, "master.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(cli.stderr()).toMatch(/WARNING: Generated a development master key at \S*master\.key/);

    const health = await httpsGet(port, "/healthz");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: "ok" });
    expect(String(health.headers["strict-transport-security"])).toContain("max-age=63072000");

    // The plaintext listener only ever redirects, whatever the method or path.
    const get = await plainRequest(redirectPort, "GET", "/some/path?q=1");
    expect(get.status).toBe(308);
    expect(get.headers.location).toBe(`https://localhost:${port}/some/path?q=1`);
    expect(get.body).toBe("");
    const post = await plainRequest(redirectPort, "POST", "/some/path?q=1", JSON.stringify({ a: 1 }));
    expect(post.status).toBe(308);
    expect(post.headers.location).toBe(`https://localhost:${port}/some/path?q=1`);
    expect(post.body).toBe("");
    for (const urlPath of ["/healthz", "/api/meta", "/.well-known/security.txt", "/"]) {
      const answer = await plainRequest(redirectPort, "GET", urlPath);
      expect(answer.status, urlPath).toBe(308);
      expect(answer.headers.location, urlPath).toBe(`https://localhost:${port}${urlPath}`);
      expect(answer.body, urlPath).toBe("");
    }

    const { exit, elapsedMs } = await stopGracefully(cli);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(elapsedMs).toBeLessThan(SHUTDOWN_LIMIT_MS);
    expect(findLog(cli.stdout(), "stopped"), cli.stdout()).toBeDefined();
  });

  test("second start on the same data dir: the key and the data are reused, no warning", async () => {
    expect(firstInstanceId, "the first start must have run").toBeDefined();
    const keyBefore = statSync(path.join(data.dir, "master.key"));
    const { cli, listening } = await startServer(data.dir);
    expect(cli.stderr()).not.toContain("WARNING");
    expect(listening.instanceId).toBe(firstInstanceId);
    const keyAfter = statSync(path.join(data.dir, "master.key"));
    expect(keyAfter.mtimeMs).toBe(keyBefore.mtimeMs);
    expect(keyAfter.ino).toBe(keyBefore.ino);

    const health = await httpsGet(listening.port as number, "/healthz");
    expect(health.status).toBe(200);

    const { exit } = await stopGracefully(cli);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(findLog(cli.stdout(), "stopped")).toBeDefined();
  });
});

describe("seller-pilot refuses to start, with the right exit code", () => {
  const dirs: Array<{ dir: string; remove(): void }> = [];
  const freshDir = () => {
    const tmp = tempDir("sp-refuse-");
    dirs.push(tmp);
    return tmp.dir;
  };

  afterAll(async () => {
    await killAll();
    for (const tmp of dirs) tmp.remove();
  });

  async function runToExit(args: readonly string[], env: Record<string, string>) {
    const cli = runCli(args, env);
    const exit = await waitForExit(cli, EXIT_TIMEOUT_MS);
    if (exit === "timeout") cli.child.kill("SIGKILL");
    return { exit, stdout: cli.stdout(), stderr: cli.stderr() };
  }

  test("production without keys, certificate, credentials or contact: exit 1 naming every variable at once", async () => {
    const dir = freshDir();
    const result = await runToExit(["start"], {
      ...SERVE_ENV,
      SELLER_PILOT_ENV: "production",
      SELLER_PILOT_DATA_DIR: dir,
    });
    expect(result.exit, result.stderr).toEqual({ code: 1, signal: null });
    const reports = result.stderr.match(/^error [A-Z_]+:/gm) ?? [];
    expect(reports, result.stderr).toEqual(["error CONFIG_UNSAFE_FOR_PRODUCTION:"]);
    const message = result.stderr.slice(result.stderr.indexOf("error CONFIG_UNSAFE_FOR_PRODUCTION:"));
    for (const name of [
      "SELLER_PILOT_MASTER_KEY_FILE",
      "SELLER_PILOT_TLS_CERT_FILE",
      "SELLER_PILOT_LWA_CLIENT_ID",
      "SELLER_PILOT_PUBLIC_URL",
      "SELLER_PILOT_SECURITY_CONTACT",
      "SELLER_PILOT_SECURITY_TXT_EXPIRES",
    ]) {
      expect(message, name).toContain(name);
    }
    // Refused before touching anything: no key generated, no store created, nothing listening.
    expect(existsSync(path.join(dir, "master.key"))).toBe(false);
    expect(existsSync(path.join(dir, "seller-pilot.db"))).toBe(false);
    expect(result.stdout).not.toContain('"listening"');
  });

  test("an unknown SELLER_PILOT_ variable: exit 1 naming it", async () => {
    const dir = freshDir();
    const result = await runToExit(["start"], {
      ...SERVE_ENV,
      SELLER_PILOT_DATA_DIR: dir,
      SELLER_PILOT_MASTER_KEYFILE: "x",
    });
    expect(result.exit, result.stderr).toEqual({ code: 1, signal: null });
    expect(result.stderr).toMatch(/^error CONFIG_INVALID:/m);
    expect(result.stderr).toContain("SELLER_PILOT_MASTER_KEYFILE: unknown variable");
    expect(existsSync(path.join(dir, "master.key"))).toBe(false);
    expect(result.stdout).not.toContain('"listening"');
  });

  test("an unknown command: exit 2", async () => {
    const result = await runToExit(["bogus-command"], { SELLER_PILOT_DATA_DIR: freshDir() });
    expect(result.exit, result.stderr).toEqual({ code: 2, signal: null });
    expect(result.stderr).toContain("bogus-command");
  });

  test("an unknown option: exit 2", async () => {
    const result = await runToExit(["doctor", "--bogus"], { SELLER_PILOT_DATA_DIR: freshDir() });
    expect(result.exit, result.stderr).toEqual({ code: 2, signal: null });
    expect(result.stderr).toContain("--bogus");
  });
});
