// `seller-pilot start` without LWA credentials, as a new user runs it: the demo sandbox as a child process, the
// demo agency's two seller accounts connected through it, and the first admin's enrollment link.
import https from "node:https";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { type Cli, findLog, killAll, runCli, SHUTDOWN_LIMIT_MS, waitForExit } from "./support/process-cli.js";
import { tempDir } from "./support/stores.js";

const SERVE_ENV = { SELLER_PILOT_PORT: "0", SELLER_PILOT_SANDBOX_PII_CANARY: "CANARYdemoProc7" };
const ENROLL = /Enroll the first admin \(([^,]+), single use, expires [^)]+\): (https:\/\/\S+)/;

async function start(dataDir: string): Promise<{ cli: Cli; port: number; sandbox: string }> {
  const cli = runCli(["start"], { ...SERVE_ENV, SELLER_PILOT_DATA_DIR: dataDir });
  await cli.until("the ready notice", () => /Seller Pilot ready at https:\/\/\S+/.test(cli.stderr()), 60_000);
  const listening = findLog(cli.stdout(), "listening") as Record<string, unknown>;
  const demo = findLog(cli.stdout(), "demo mode: the built-in SP-API sandbox stands in for Amazon");
  expect(listening.mode).toBe("demo");
  return { cli, port: listening.port as number, sandbox: String(demo?.sandbox) };
}

async function stop(cli: Cli): Promise<void> {
  cli.child.kill("SIGTERM");
  expect(await waitForExit(cli, SHUTDOWN_LIMIT_MS + 5_000)).toEqual({ code: 0, signal: null });
}

async function accounts(dataDir: string): Promise<Array<{ id: string; name: string; status: string }>> {
  const cli = runCli(["account", "list", "--json"], { SELLER_PILOT_DATA_DIR: dataDir });
  expect(await waitForExit(cli, 30_000)).toEqual({ code: 0, signal: null });
  return (JSON.parse(cli.stdout()) as { accounts: Array<{ id: string; name: string; status: string }> })
    .accounts;
}

function post(port: number, path: string, body: unknown): Promise<{ status: number; body: string }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "localhost",
        port,
        path,
        method: "POST",
        rejectUnauthorized: false,
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function gone(url: string, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe("seller-pilot start in demo mode", () => {
  const data = tempDir("sp-demo-");
  afterEach(killAll);
  afterAll(async () => {
    await killAll();
    data.remove();
  });

  test("connects the demo agency's two accounts, prints the first admin's link until someone can sign in, and takes the sandbox down with it", async () => {
    const first = await start(data.dir);
    const link = ENROLL.exec(first.cli.stderr());
    expect(link?.[1]).toBe("first.admin@demo-agency.example");
    const enrollUrl = new URL(link?.[2] ?? "");
    expect(enrollUrl.origin).toBe(`https://localhost:${first.port}`);
    expect(enrollUrl.pathname).toBe("/enroll");
    // The link is a credential: on the operator's terminal, never in the log.
    const token = enrollUrl.searchParams.get("token") ?? "";
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.cli.stdout()).not.toContain(token);
    // The sandbox is on loopback, and its buyer data (with the canary) never reached our log.
    expect(new URL(first.sandbox).hostname).toBe("127.0.0.1");
    expect(first.cli.stdout() + first.cli.stderr()).not.toContain("CANARYdemoProc7");

    const listed = await accounts(data.dir);
    expect(listed.map((a) => [a.name, a.status]).sort()).toEqual([
      ["Demo brand 1", "active"],
      ["Demo brand 2", "active"],
    ]);
    await stop(first.cli);
    expect(await gone(first.sandbox, 5_000)).toBe(true);

    // A restart reconnects the same accounts (nothing duplicated) and, nobody having enrolled, issues a new link.
    const second = await start(data.dir);
    const again = ENROLL.exec(second.cli.stderr());
    const token2 = new URL(again?.[2] ?? "").searchParams.get("token") ?? "";
    expect(token2).not.toBe(token);
    expect((await accounts(data.dir)).map((a) => a.id).sort()).toEqual(listed.map((a) => a.id).sort());
    const accepted = await post(second.port, "/api/invitations/accept", {
      token: token2,
      name: "Dana Admin",
      password: "Correct-Horse-42-battery",
    });
    expect(accepted.status).toBe(200);
    expect(JSON.parse(accepted.body)).toMatchObject({ next: "enroll_mfa" });

    // Killed outright: the sandbox child notices its lifeline end and leaves too.
    second.cli.child.kill("SIGKILL");
    await waitForExit(second.cli, 5_000);
    expect(await gone(second.sandbox, 5_000)).toBe(true);

    // Someone can sign in now: no more enrollment links.
    const third = await start(data.dir);
    expect(third.cli.stderr()).not.toMatch(ENROLL);
    await stop(third.cli);
  }, 180_000);
});
