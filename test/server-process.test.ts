// The real CLI as an operator runs it: `seller-pilot start` in its own process, its JSON log lines on
// stdout, its human notices on stderr, real sockets, real signals, real exit codes.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import {
  type Cli,
  EXIT_TIMEOUT_MS,
  type Exit,
  findLog,
  httpsGet,
  killAll,
  plainRequest,
  runCli,
  SHUTDOWN_LIMIT_MS,
  waitForExit,
} from "./support/process-cli.js";
import { tempDir } from "./support/stores.js";

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
