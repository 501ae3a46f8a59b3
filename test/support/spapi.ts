import type { SandboxOptions } from "../../sandbox/app.js";
import { type SandboxHarness, startHarness } from "../../sandbox/test-harness.js";
import { type AccountProfile, createSpApiClient, type SpApiClient } from "../../src/amazon/client.js";
import type { FeatureName } from "../../src/amazon/features.js";
import { createLwaClient, type LwaClient, refreshTokenSecretName } from "../../src/amazon/lwa.js";
import { bucketStoreFor, createRateLimiter, type RateLimiter } from "../../src/amazon/rate-limiter.js";
import { createHttpTransport, type HttpTransport } from "../../src/amazon/transport.js";
import type { SpApiOperation, UsagePlan } from "../../src/amazon/usage-plans.js";
import type { AuditEvent, AuditSink } from "../../src/audit/audit-sink.js";
import { ManualClock } from "../../src/platform/clock.js";
import { CLIENT_SECRET_NAME } from "../../src/secrets/client-secret-age.js";
import { INSTANCE_ACCOUNT } from "../../src/secrets/secrets-store.js";
import { openTestProtection, type TestProtection } from "./protection.js";
import type { StoreName } from "./stores.js";

export const ALL_FEATURES: FeatureName[] = [
  "orders_sales",
  "inventory",
  "pricing",
  "finances",
  "fbm_shipping",
];

/**
 * The real client against the real sandbox on a loopback socket, with the real secrets store on a test store.
 * Our clock and the sandbox's move together; `sleep` moves both instead of waiting.
 */
export interface SpApiRig {
  h: SandboxHarness;
  protection: TestProtection;
  clock: ManualClock;
  sleeps: number[];
  events: AuditEvent[];
  transport: HttpTransport;
  lwa: LwaClient;
  limiter: RateLimiter;
  client: SpApiClient;
  /** Our account ids, one per sandbox seller (acct-0 is seller 0). */
  accounts: string[];
  features: Map<string, FeatureName[]>;
  /** SP-API answers of 429 the sandbox's own buckets gave (injected throttles not counted). */
  throttledBySandbox(): number;
  /** Access tokens the sandbox's LWA issued for sellers so far. */
  sellerTokensIssued(): number;
  /** HTTP requests that reached the sandbox, by path prefix. */
  requests(prefix?: string): number;
  advance(ms: number): void;
  sellingPartnerId(index: number): string;
  dispose(): Promise<void>;
}

export interface RigOptions {
  sandbox?: SandboxOptions;
  plans?: Partial<Record<SpApiOperation, UsagePlan>>;
  backoff?: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  /** The sandbox's time scale; our clock runs in Amazon time, so it moves `timeScale` times the sandbox's. */
  timeScale?: number;
  /** The jitter source (Math.random otherwise). */
  random?: () => number;
}

export async function openSpApiRig(store: StoreName, options: RigOptions = {}): Promise<SpApiRig> {
  const scale = options.timeScale ?? 1;
  const h = await startHarness({ orders: 400, ...options.sandbox, timeScale: scale });
  const protection = await openTestProtection(store);
  const clock = new ManualClock(new Date(h.clock.now()));
  const advance = (ms: number) => {
    clock.advance(ms);
    h.clock.advance(ms / scale);
  };
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    advance(ms);
  };
  const events: AuditEvent[] = [];
  const audit: AuditSink = {
    async record(event) {
      events.push(event);
    },
  };
  const sandbox = h.running.sandbox;
  let issued = 0;
  const lwaState = sandbox.context.lwa;
  const issue = lwaState.issueAccessToken.bind(lwaState);
  lwaState.issueAccessToken = (grant) => {
    if (grant.kind === "seller") issued += 1;
    return issue(grant);
  };
  let throttled = 0;
  const sandboxLimiter = sandbox.context.limiter;
  const take = sandboxLimiter.take.bind(sandboxLimiter);
  sandboxLimiter.take = (...args) => {
    const decision = take(...args);
    if (!decision.allowed) throttled += 1;
    return decision;
  };
  const seen: string[] = [];
  sandbox.app.server.on("request", (req) => seen.push(req.url ?? ""));

  await protection.secrets.put(CLIENT_SECRET_NAME, sandbox.clientSecret(), {
    accountId: INSTANCE_ACCOUNT,
    actor: "test",
  });
  const accounts = sandbox.sellers.map((_, i) => `acct-${i}`);
  const features = new Map<string, FeatureName[]>();
  for (const [i, seller] of sandbox.sellers.entries()) {
    const accountId = accounts[i] as string;
    features.set(accountId, [...ALL_FEATURES]);
    await protection.secrets.put(refreshTokenSecretName(accountId), seller.refreshToken, {
      accountId,
      actor: "test",
    });
  }

  const transport = createHttpTransport({ timeoutMs: 10_000 });
  const backoff = options.backoff ?? { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 8_000 };
  const lwa = createLwaClient({
    tokenUrl: h.running.lwaTokenUrl,
    clientId: sandbox.clientId,
    secrets: protection.secrets,
    transport,
    clock,
    sleep,
    backoff,
    ...(options.random ? { random: options.random } : {}),
  });
  const limiter = createRateLimiter({
    store: bucketStoreFor(protection.data.database),
    clock,
    sleep,
    ...(options.plans ? { plans: options.plans } : {}),
  });
  const client = createSpApiClient({
    overrides: { endpoint: h.endpoint, lwaTokenUrl: h.running.lwaTokenUrl },
    accounts: {
      async profile(accountId): Promise<AccountProfile> {
        const enabled = features.get(accountId);
        if (!enabled) throw new Error(`unknown test account ${accountId}`);
        return { region: "na", features: enabled };
      },
    },
    lwa,
    limiter,
    transport,
    audit,
    clock,
    sleep,
    backoff,
    ...(options.random ? { random: options.random } : {}),
  });
  return {
    h,
    protection,
    clock,
    sleeps,
    events,
    transport,
    lwa,
    limiter,
    client,
    accounts,
    features,
    sellerTokensIssued: () => issued,
    throttledBySandbox: () => throttled,
    requests: (prefix = "/") => seen.filter((url) => url.startsWith(prefix)).length,
    advance,
    sellingPartnerId: (index) => sandbox.sellers[index]?.sellingPartnerId ?? "",
    async dispose() {
      transport.close();
      await h.close();
      await protection.dispose();
    },
  };
}
