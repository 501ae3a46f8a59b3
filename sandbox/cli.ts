import { parseArgs } from "node:util";
import { listenSandbox, type RunningSandbox, type SandboxOptions } from "./app.js";
import { type Operation, USAGE_PLANS, type UsagePlan } from "./rate-limits.js";

export interface SandboxIo {
  env: Readonly<Record<string, string | undefined>>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const SANDBOX_USAGE = `Usage: sandbox [--port N] [--orders N] [--seed S] [--sellers K] [--time-scale X]
               [--pii-canary STRING] [--without-pii-role i,j] [--redirect-uri URL]... [--data-end ISO]
               [--fail-5xx N] [--fail-429 N] [--latency-ms N] [--malformed N]
               [--rate-limit operation=rate:burst]...
Starts the SP-API sandbox on 127.0.0.1 and prints one JSON line with its endpoints and credentials.
Env SELLER_PILOT_SANDBOX_PII_CANARY sets the PII canary when --pii-canary is absent.
Env SELLER_PILOT_SANDBOX_CREDENTIAL_SEED derives the application's ids, client secret and the sellers'
refresh tokens from a secret, so sandboxes started with the same seed accept the same credentials.`;

function count(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new RangeError(`--${name} must be an integer >= ${min}`);
  return n;
}

/** Parses the sandbox's command line; throws RangeError/TypeError on bad usage. */
export function parseSandboxArgs(
  argv: readonly string[],
  env: SandboxIo["env"],
): SandboxOptions & { port: number } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: "string" },
      orders: { type: "string" },
      seed: { type: "string" },
      sellers: { type: "string" },
      "time-scale": { type: "string" },
      "pii-canary": { type: "string" },
      "without-pii-role": { type: "string" },
      "redirect-uri": { type: "string", multiple: true },
      "data-end": { type: "string" },
      "fail-5xx": { type: "string" },
      "fail-429": { type: "string" },
      "latency-ms": { type: "string" },
      malformed: { type: "string" },
      "rate-limit": { type: "string", multiple: true },
    },
  });
  const port = count(values.port, "port") ?? 0;
  if (port > 65_535) throw new RangeError("--port must be at most 65535");
  const timeScale = values["time-scale"] === undefined ? 1 : Number(values["time-scale"]);
  if (!(Number.isFinite(timeScale) && timeScale > 0))
    throw new RangeError("--time-scale must be a positive number");
  const canary = values["pii-canary"] ?? env.SELLER_PILOT_SANDBOX_PII_CANARY;
  const options: SandboxOptions & { port: number } = {
    port,
    orders: count(values.orders, "orders") ?? 2_000,
    seed: count(values.seed, "seed") ?? 1,
    sellers: count(values.sellers, "sellers", 1) ?? 2,
    timeScale,
    piiCanary: canary === "" ? undefined : canary,
    // From the environment only: a secret on the command line would be visible to every user in `ps`.
    ...(env.SELLER_PILOT_SANDBOX_CREDENTIAL_SEED
      ? { credentialSeed: env.SELLER_PILOT_SANDBOX_CREDENTIAL_SEED }
      : {}),
    faults: {
      serverErrors: count(values["fail-5xx"], "fail-5xx") ?? 0,
      throttles: count(values["fail-429"], "fail-429") ?? 0,
      latencyMs: count(values["latency-ms"], "latency-ms") ?? 0,
      malformed: count(values.malformed, "malformed") ?? 0,
    },
  };
  if (values["without-pii-role"] !== undefined) {
    options.withoutPiiRole = values["without-pii-role"]
      .split(",")
      .map((v) => count(v, "without-pii-role") as number);
  }
  if (values["data-end"] !== undefined) {
    const end = Date.parse(values["data-end"]);
    if (!Number.isFinite(end)) throw new RangeError("--data-end must be an ISO date-time");
    options.dataEndMs = end;
  }
  if (values["redirect-uri"] !== undefined) {
    for (const uri of values["redirect-uri"]) new URL(uri);
    options.redirectUris = values["redirect-uri"];
  }
  if (values["rate-limit"] !== undefined) options.rateLimits = parseRateLimits(values["rate-limit"]);
  return options;
}

/** `searchOrders=5:10` sets that operation's bucket to 5 requests per Amazon second, burst 10 (benchmarks). */
function parseRateLimits(specs: readonly string[]): Partial<Record<Operation, UsagePlan>> {
  const out: Partial<Record<Operation, UsagePlan>> = {};
  for (const spec of specs) {
    const match = /^(\w+)=([\d.]+):(\d+)$/.exec(spec);
    const operation = match?.[1];
    const rate = Number(match?.[2]);
    const burst = Number(match?.[3]);
    if (!operation || !Object.hasOwn(USAGE_PLANS, operation) || !(rate > 0) || !(burst >= 1)) {
      throw new RangeError(`--rate-limit ${spec}: expected operation=rate:burst with a known operation`);
    }
    out[operation as Operation] = { rate, burst };
  }
  return out;
}

/**
 * Entry for `node dist/sandbox/main.js` and `seller-pilot sandbox`: starts the sandbox and prints the start-up
 * line. Returns the running sandbox, or the usage exit code (2) when the arguments are wrong.
 */
export async function startSandboxFromArgs(
  argv: readonly string[],
  io: SandboxIo,
): Promise<RunningSandbox | 0 | 2> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(`${SANDBOX_USAGE}\n`);
    return 0;
  }
  let options: SandboxOptions & { port: number };
  try {
    options = parseSandboxArgs(argv, io.env);
  } catch (err) {
    io.stderr(`error USAGE: ${err instanceof Error ? err.message : String(err)}\n${SANDBOX_USAGE}\n`);
    return 2;
  }
  const running = await listenSandbox(options);
  io.stdout(`${JSON.stringify(running.startupInfo())}\n`);
  return running;
}
