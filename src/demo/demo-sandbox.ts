import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { z } from "zod";
import { AppError } from "../platform/errors.js";
import { sandboxEntry } from "./sandbox-entry.js";

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
 * two sellers, and its start-up line parsed.
 */
/**
 * Two years of orders for the two demo sellers: about 14 a day each, so the last day and a half (the orders
 * still to ship) holds several merchant-fulfilled ones and the FBM queue has work in it.
 */
export const DEMO_ORDERS = 20_000;

export function startDemoSandbox(opts: {
  /** Embedded in every generated buyer name and address (leak scans); none when absent. */
  piiCanary?: string | null;
  /** The instance's demo credential seed: every sandbox it starts accepts the same client secret and tokens. */
  credentialSeed: string;
  redirectUri: string;
  orders?: number;
  /** Amazon time runs this many times faster in the sandbox (rates, report delays, token lifetimes alike). */
  timeScale?: number;
  /** Ends the generated history here, so every sandbox of this instance serves the same orders (ISO). */
  dataEnd?: string;
  timeoutMs?: number;
  /** Runtime flags for the child (tests running from source pass the TypeScript loader). */
  execArgv?: string[];
}): Promise<DemoSandbox> {
  const entry = sandboxEntry();
  const execArgv = opts.execArgv ?? entry.execArgv;
  const args = ["--port", "0", "--sellers", "2", "--orders", String(opts.orders ?? DEMO_ORDERS)];
  args.push("--redirect-uri", opts.redirectUri);
  if (opts.timeScale !== undefined) args.push("--time-scale", String(opts.timeScale));
  if (opts.dataEnd !== undefined) args.push("--data-end", opts.dataEnd);
  // Secrets go by environment, never by argument (visible in `ps`); nothing else of ours is passed on.
  const env: Record<string, string> = {
    SELLER_PILOT_SANDBOX_CREDENTIAL_SEED: opts.credentialSeed,
    SELLER_PILOT_SANDBOX_LIFELINE: "stdin",
  };
  if (opts.piiCanary) env.SELLER_PILOT_SANDBOX_PII_CANARY = opts.piiCanary;
  const child = spawn(process.execPath, [...execArgv, entry.file, ...args], {
    env,
    // stdin is the child's lifeline: it exits when we do, however we die.
    stdio: ["pipe", "pipe", "ignore"],
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
