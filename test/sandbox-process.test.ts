// `seller-pilot sandbox` as an operator runs it: its own process, one JSON line, real LWA over a socket,
// a clean stop on SIGTERM (the signal reaches the sandbox child, not only the CLI).
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const MAIN = path.join(REPO_ROOT, "src", "main.ts");
const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

function cli(args: string[]) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up line; stderr: ${err}`)), 20_000);
    child.stdout.on("data", () => {
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
  });
  return { child, exited, firstLine, stderr: () => err, stdout: () => out };
}

describe("seller-pilot sandbox", () => {
  it("prints its endpoints and credentials, serves LWA, and stops on SIGTERM", async () => {
    const run = cli(["sandbox", "--orders", "20", "--sellers", "2", "--seed", "7"]);
    const info = JSON.parse(await run.firstLine) as {
      lwaTokenUrl: string;
      clientId: string;
      clientSecret: string;
      sellers: { sellingPartnerId: string; refreshToken: string }[];
    };
    expect(info.sellers).toHaveLength(2);
    const seller = info.sellers[0];
    if (!seller) throw new Error("no seller");
    const response = await fetch(info.lwaTokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: seller.refreshToken,
        client_id: info.clientId,
        client_secret: info.clientSecret,
      }),
    });
    expect(response.status).toBe(200);
    const token = (await response.json()) as { access_token: string; expires_in: number };
    expect(token.expires_in).toBe(3600);
    expect(token.access_token).toMatch(/^Atza\|/);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
  }, 30_000);

  it("answers --help with the sandbox's own usage and a bad flag with exit 2", async () => {
    const help = cli(["sandbox", "--help"]);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toContain("--time-scale");
    const bad = cli(["sandbox", "--orders", "many"]);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain("--orders must be an integer");
  }, 30_000);
});
