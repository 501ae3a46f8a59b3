import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { RunningSandbox } from "./app.js";
import { parseSandboxArgs, startSandboxFromArgs } from "./cli.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { env: {}, stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) },
  };
}

describe("sandbox command line", () => {
  let running: RunningSandbox | undefined;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
    if (child?.pid !== undefined && child.exitCode === null) child.kill("SIGTERM");
    child = undefined;
  });

  it("parses every flag and takes the canary from the environment only when the flag is absent", () => {
    const options = parseSandboxArgs(
      [
        "--port",
        "0",
        "--orders",
        "500",
        "--seed",
        "9",
        "--sellers",
        "3",
        "--time-scale",
        "60",
        "--fail-429",
        "2",
      ],
      { SELLER_PILOT_SANDBOX_PII_CANARY: "ENV-CANARY" },
    );
    expect(options).toMatchObject({
      port: 0,
      orders: 500,
      seed: 9,
      sellers: 3,
      timeScale: 60,
      piiCanary: "ENV-CANARY",
    });
    expect(options.faults).toMatchObject({ throttles: 2, serverErrors: 0 });
    expect(
      parseSandboxArgs(["--pii-canary", "FLAG"], { SELLER_PILOT_SANDBOX_PII_CANARY: "ENV" }).piiCanary,
    ).toBe("FLAG");
    for (const bad of [
      ["--orders", "-1"],
      ["--time-scale", "0"],
      ["--sellers", "0"],
      ["--bogus"],
      ["--port", "70000"],
    ]) {
      expect(() => parseSandboxArgs(bad, {}), bad.join(" ")).toThrow();
    }
  });

  it("prints one JSON start-up line with endpoints, credentials and sellers", async () => {
    const { out, io } = capture();
    const result = await startSandboxFromArgs(["--orders", "100", "--sellers", "2"], io);
    if (result === 2 || result === 0) throw new Error("usage error or help");
    running = result;
    expect(out).toHaveLength(1);
    expect(out[0]?.endsWith("\n")).toBe(true);
    const info = JSON.parse(out[0] ?? "") as Record<string, unknown> & {
      sellers: { sellingPartnerId: string; refreshToken: string }[];
    };
    expect(Object.keys(info)).toEqual(
      expect.arrayContaining([
        "endpoint",
        "lwaTokenUrl",
        "consentUrl",
        "applicationId",
        "clientId",
        "clientSecret",
        "sellers",
      ]),
    );
    expect(info.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.sellers).toHaveLength(2);
    const res = await fetch(info.lwaTokenUrl as string, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: info.sellers[0]?.refreshToken ?? "",
        client_id: info.clientId as string,
        client_secret: info.clientSecret as string,
      }),
    });
    expect(res.status).toBe(200);
  });

  it("returns the usage exit code on bad arguments", async () => {
    const { out, err, io } = capture();
    expect(await startSandboxFromArgs(["--orders", "many"], io)).toBe(2);
    expect(out).toEqual([]);
    expect(err.join("")).toContain("--orders");
  });

  it("runs as its own process (sandbox/main.ts) and stops on SIGTERM", async () => {
    child = spawn(process.execPath, ["--import", "tsx", "sandbox/main.ts", "--orders", "50"], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const proc = child;
    const line = await new Promise<string>((resolve, reject) => {
      let buffer = "";
      proc.stdout?.on("data", (chunk: Buffer) => {
        buffer += chunk.toString("utf8");
        const nl = buffer.indexOf("\n");
        if (nl >= 0) resolve(buffer.slice(0, nl));
      });
      proc.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
    const info = JSON.parse(line) as { endpoint: string };
    expect((await fetch(`${info.endpoint}/sellers/v1/marketplaceParticipations`)).status).toBe(403);
    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
