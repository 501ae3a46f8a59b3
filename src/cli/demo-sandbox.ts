import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { z } from "zod";
import { AppError } from "../platform/errors.js";
import { sandboxEntry } from "./sandbox-command.js";

const startLine = z.object({
  endpoint: z.string().url(),
  lwaTokenUrl: z.string().url(),
  consentUrl: z.string().url(),
  applicationId: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  sellers: z.array(z.object({ sellingPartnerId: z.string().min(1), refreshToken: z.string().min(1) })).min(1),
});
export type DemoSandboxInfo = z.infer<typeof startLine>;

export interface DemoSandbox {
  info: DemoSandboxInfo;
  /** Stops the child and resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Demo mode's stand-in for Amazon: the sandbox as a child process on loopback (src/ never imports sandbox/),
 * two sellers, and its start-up line parsed. The PII canary variable is passed through for leak scans.
 */
export function startDemoSandbox(opts: {
  env: Readonly<Record<string, string | undefined>>;
  redirectUri: string;
  orders?: number;
  timeoutMs?: number;
  /** Runtime flags for the child (tests running from source pass the TypeScript loader). */
  execArgv?: string[];
}): Promise<DemoSandbox> {
  const entry = sandboxEntry();
  const execArgv = opts.execArgv ?? entry.execArgv;
  const args = ["--port", "0", "--sellers", "2", "--orders", String(opts.orders ?? 2000)];
  args.push("--redirect-uri", opts.redirectUri);
  const env: Record<string, string> = { PATH: opts.env.PATH ?? "" };
  const canary = opts.env.SELLER_PILOT_SANDBOX_PII_CANARY;
  if (canary !== undefined) env.SELLER_PILOT_SANDBOX_PII_CANARY = canary;
  const child = spawn(process.execPath, [...execArgv, entry.file, ...args], {
    env,
    stdio: ["ignore", "pipe", "ignore"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      void stop();
      reject(new AppError("NOT_READY", `The demo SP-API sandbox did not start (${reason}).`));
    };
    const timer = setTimeout(() => fail("timeout"), opts.timeoutMs ?? 60_000);
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      clearTimeout(timer);
      let parsed: DemoSandboxInfo | undefined;
      try {
        parsed = startLine.parse(JSON.parse(line));
      } catch {
        fail("unreadable start-up line");
        return;
      }
      // Keep draining stdout so the child never blocks on a full pipe.
      child.stdout.resume();
      resolve({ info: parsed, stop });
    });
    child.once("error", (err) => {
      clearTimeout(timer);
      fail(err.message);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(`exited with ${String(code)}`);
    });
  });
}
