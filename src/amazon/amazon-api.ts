import type { AuditSink } from "../audit/audit-sink.js";
import type { Database } from "../db/database.js";
import type { Clock } from "../platform/clock.js";
import type { SecretsStore } from "../secrets/secrets-store.js";
import { type Sleep, timerSleep } from "./abort.js";
import { createSpApiClient, type SpApiClientDeps } from "./client.js";
import { type EndpointOverrides, resolveEndpoints, type SpApiRegion } from "./endpoints.js";
import { createLwaClient } from "./lwa.js";
import { bucketStoreFor, createRateLimiter } from "./rate-limiter.js";
import { createHttpTransport, type TransportOptions } from "./transport.js";
import type { SpApiOperation, UsagePlan } from "./usage-plans.js";

export interface AmazonApiDeps {
  /** The LWA client id (configuration, or the sandbox's in demo mode). */
  clientId: string;
  overrides: EndpointOverrides;
  secrets: Pick<SecretsStore, "get">;
  /** The data store: PostgreSQL shares the token buckets between processes, SQLite keeps them in memory. */
  database: Pick<Database, "db" | "kind">;
  audit: AuditSink;
  clock: Clock;
  accounts: SpApiClientDeps["accounts"];
  /** Real waiting by default; must agree with `clock` (a scaled clock needs a scaled sleep). */
  sleep?: Sleep;
  transport?: TransportOptions;
  plans?: Partial<Record<SpApiOperation, UsagePlan>>;
  /** See RateLimiterDeps.marginMs (in the clock's milliseconds). */
  marginMs?: number;
  applicationRegion?: SpApiRegion;
}

/** Wires the one SP-API client from its parts; `close()` releases the sockets. */
export function createAmazonApi(deps: AmazonApiDeps) {
  const sleep = deps.sleep ?? timerSleep();
  const transport = createHttpTransport(deps.transport);
  const region = deps.applicationRegion ?? "na";
  const lwa = createLwaClient({
    tokenUrl: resolveEndpoints(region, deps.overrides).lwaTokenUrl,
    clientId: deps.clientId,
    secrets: deps.secrets,
    transport,
    clock: deps.clock,
    sleep,
  });
  const limiter = createRateLimiter({
    store: bucketStoreFor(deps.database),
    clock: deps.clock,
    sleep,
    ...(deps.plans ? { plans: deps.plans } : {}),
    ...(deps.marginMs !== undefined ? { marginMs: deps.marginMs } : {}),
  });
  const client = createSpApiClient({
    overrides: deps.overrides,
    accounts: deps.accounts,
    lwa,
    limiter,
    transport,
    audit: deps.audit,
    clock: deps.clock,
    sleep,
    applicationRegion: region,
  });
  return { client, lwa, limiter, transport, close: () => transport.close() };
}

export type AmazonApi = ReturnType<typeof createAmazonApi>;
