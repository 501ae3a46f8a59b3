/**
 * The sync benchmark's wiring: the demo sandbox as its own process (startDemoSandbox, so its CPU and memory are
 * not ours), a real runtime on a temp dir (SQLCipher, vault, audit log) and the SP-API runtime over it as demo
 * mode builds it (openSpApi with a scaled Amazon clock), one seller connected through the connect service.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { timerSleep } from "../../src/amazon/abort.js";
import type { FeatureName } from "../../src/amazon/features.js";
import { searchOrders } from "../../src/amazon/operations/orders.js";
import type { AuditSink } from "../../src/audit/audit-sink.js";
import { loadConfig } from "../../src/config/config.js";
import { type DemoSandbox, type DemoSandboxInfo, startDemoSandbox } from "../../src/demo/demo-sandbox.js";
import { createOrganisation } from "../../src/identity/organisations-repo.js";
import { MS, scaledClock, systemClock } from "../../src/platform/clock.js";
import { openRuntime, type Runtime } from "../../src/runtime.js";
import { CLIENT_SECRET_NAME } from "../../src/secrets/client-secret-age.js";
import { INSTANCE_ACCOUNT } from "../../src/secrets/secrets-store.js";
import { openSpApi, type SpApiRuntime } from "../../src/spapi-runtime.js";
import type { SyncSummary } from "../../src/sync/sync-engine.js";
import { discardingLogger } from "../lib/fixtures.js";

const ACTOR = "system:bench";
/** The demo sandbox always serves two sellers (orders i, i+2, ...): the first one is synced. */
const SANDBOX_SELLERS = 2;
/** FBM shipping on: the backfill then also fetches the open merchant orders' details through searchOrders. */
export const BENCH_FEATURES: readonly FeatureName[] = ["orders_sales", "fbm_shipping"];

export interface BenchSandbox {
  info: DemoSandboxInfo;
  timeScale: number;
  stop(): Promise<void>;
}

/** A sandbox whose first seller holds `orders` orders over the two years before `dataEnd`. */
export async function startBenchSandbox(opts: {
  orders: number;
  timeScale: number;
  dataEnd: string;
}): Promise<BenchSandbox> {
  const sandbox: DemoSandbox = await startDemoSandbox({
    credentialSeed: randomBytes(32).toString("base64url"),
    redirectUri: "https://127.0.0.1:8443/api/connect/callback",
    orders: opts.orders * SANDBOX_SELLERS,
    timeScale: opts.timeScale,
    dataEnd: opts.dataEnd,
  });
  return { info: sandbox.info, timeScale: opts.timeScale, stop: () => sandbox.stop() };
}

export interface BenchSync {
  rt: Runtime;
  spapi: SpApiRuntime;
  accountId: string;
  /** Amazon time as the client sees it. */
  amazonNow(): number;
  /** SP-API calls that succeeded since the last reset, by operation (from the client's audit events). */
  calls: Map<string, number>;
  close(): Promise<void>;
}

/** Opens the product's runtime in `dataDir`, wires the SP-API runtime to the sandbox and connects its seller. */
export async function openBenchSync(
  sandbox: Pick<BenchSandbox, "info" | "timeScale">,
  dataDir: string,
): Promise<BenchSync> {
  const config = loadConfig(
    { SELLER_PILOT_DATA_DIR: dataDir, SELLER_PILOT_LOG_LEVEL: "warn" },
    path.dirname(dataDir),
  );
  const rt = await openRuntime({ config, clock: systemClock, logger: discardingLogger() });
  try {
    const { info } = sandbox;
    await rt.secrets.put(CLIENT_SECRET_NAME, info.clientSecret, {
      accountId: INSTANCE_ACCOUNT,
      actor: ACTOR,
    });
    const calls = new Map<string, number>();
    const audit: AuditSink = {
      record(event) {
        const operation = event.target?.operation;
        if (event.action === "spapi.call" && event.outcome === "success" && operation) {
          calls.set(operation, (calls.get(operation) ?? 0) + 1);
        }
        return rt.audit.record(event);
      },
    };
    // Made after the sandbox started, so our view of Amazon time is never ahead of the sandbox's.
    const amazonClock = scaledClock(rt.clock, sandbox.timeScale);
    const spapi = openSpApi(
      { ...rt, audit },
      {
        clientId: info.clientId,
        applicationId: info.applicationId,
        overrides: { endpoint: info.endpoint, lwaTokenUrl: info.lwaTokenUrl },
        consentUrl: info.consentUrl,
        beta: true,
        redirectUri: "https://127.0.0.1:8443/api/connect/callback",
        region: "na",
      },
      { amazonTime: { clock: amazonClock, sleep: timerSleep((ms) => amazonClock.realMs(ms)) } },
    );
    const seller = info.sellers[0];
    if (!seller) throw new Error("the sandbox has no seller");
    const organisation = await createOrganisation(rt.database.db, { name: "Bench agency" }, rt.clock.now());
    const connected = await spapi.connect.storeAuthorization({
      organisationId: organisation.id,
      userId: null,
      sellingPartnerId: seller.sellingPartnerId,
      refreshToken: seller.refreshToken,
      features: BENCH_FEATURES,
      actor: ACTOR,
    });
    calls.clear();
    return {
      rt,
      spapi,
      accountId: connected.accountId,
      amazonNow: () => amazonClock.now().getTime(),
      calls,
      async close() {
        await spapi.close();
        await rt.close();
      },
    };
  } catch (err) {
    await rt.close();
    throw err;
  }
}

export interface BackfillRun {
  /** Amazon milliseconds from the start of the run to its end. */
  amazonMs: number;
  realMs: number;
  calls: Record<string, number>;
  orders: number;
  items: number;
  summary: SyncSummary;
}

/** The engine's first sync of the orders stream: the report backfill, the FBM details, the incremental pass. */
export async function runEngineBackfill(
  sync: BenchSync,
  onWindow?: (done: number) => void,
): Promise<BackfillRun> {
  sync.calls.clear();
  const amazonStart = sync.amazonNow();
  const realStart = performance.now();
  const summary = await sync.spapi.sync.run(sync.accountId, {
    streams: ["orders"],
    onProgress: (p) => {
      if (p.phase === "backfill") onWindow?.(p.done);
    },
  });
  const amazonMs = sync.amazonNow() - amazonStart;
  const realMs = performance.now() - realStart;
  if (!summary.ok) throw new Error(`the backfill failed: ${JSON.stringify(summary)}`);
  const stored = await sync.rt.database.db
    .selectFrom("orders")
    .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.sum<number>("item_count").as("items")])
    .where("account_id", "=", sync.accountId)
    .executeTakeFirstOrThrow();
  const items = await sync.rt.database.db
    .selectFrom("order_items")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("account_id", "=", sync.accountId)
    .executeTakeFirstOrThrow();
  return {
    amazonMs,
    realMs,
    calls: Object.fromEntries(sync.calls),
    orders: Number(stored.n),
    items: Number(items.n),
    summary,
  };
}

export interface NaiveRun {
  amazonMs: number;
  realMs: number;
  pages: number;
  orders: number;
}

/**
 * The naive backfill: searchOrders over the same two years, 100 a page with the same datasets, page after page
 * through the real client (its limiter paces the calls). It stores nothing, so it is a lower bound of a naive
 * backfill's time: storing at a high time scale would count real milliseconds of work as Amazon minutes.
 */
export async function runNaiveBackfill(sync: BenchSync, onPage?: (pages: number) => void): Promise<NaiveRun> {
  const amazonStart = sync.amazonNow();
  const realStart = performance.now();
  const until = new Date(amazonStart - 2.5 * MS.minute);
  const createdAfter = new Date(until.getTime() - 730 * MS.day).toISOString();
  let token: string | undefined;
  let pages = 0;
  let orders = 0;
  do {
    const page = await searchOrders(
      sync.spapi.api.client,
      sync.accountId,
      {
        createdAfter,
        createdBefore: until.toISOString(),
        includedData: ["FULFILLMENT", "PROCEEDS", "PACKAGES", "BUYER", "RECIPIENT"],
        maxResultsPerPage: 100,
        ...(token ? { paginationToken: token } : {}),
      },
      { actor: ACTOR },
    );
    pages += 1;
    orders += page.orders.length;
    onPage?.(pages);
    token = page.pagination?.nextToken;
  } while (token);
  return { amazonMs: sync.amazonNow() - amazonStart, realMs: performance.now() - realStart, pages, orders };
}
