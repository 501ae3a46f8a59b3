import { setTimeout as delay } from "node:timers/promises";
import { type AmazonApi, createAmazonApi } from "../../src/amazon/amazon-api.js";
import { refreshTokenSecretName } from "../../src/amazon/lwa.js";
import { getMarketplaceParticipations } from "../../src/amazon/operations/seller-data.js";
import { DEFAULT_MARGIN_MS } from "../../src/amazon/rate-limiter.js";
import type { UsagePlan } from "../../src/amazon/usage-plans.js";
import type { Database } from "../../src/db/database.js";
import type { Clock } from "../../src/platform/clock.js";
import { CLIENT_SECRET_NAME } from "../../src/secrets/client-secret-age.js";

/** Everything a load generator needs to reach one sandbox seller (sent over IPC, never on a command line). */
export interface LoadTarget {
  endpoint: string;
  lwaTokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  timeScale: number;
  plan: UsagePlan;
  /** Real epoch ms both sides count Amazon time from, so two processes agree on "now". */
  originMs: number;
  /** Real epoch ms of the measured window. */
  startMs: number;
  endMs: number;
  callers: number;
}

export interface LoadResult {
  /** Successful calls that completed inside the window. */
  succeeded: number;
  failed: number;
  /** How late this generator started after the window opened (a late start lowers the figure). */
  lateMs: number;
}

/** Amazon time for a time-scaled sandbox: `timeScale` Amazon milliseconds per real one. */
export function scaledClock(originMs: number, timeScale: number): Clock {
  return { now: () => new Date(originMs + (Date.now() - originMs) * timeScale) };
}

export const ACCOUNT = "bench-account";

/** The real client (createAmazonApi) against the sandbox, on the given store for its buckets. */
export function benchClient(target: LoadTarget, database: Pick<Database, "db" | "kind">): AmazonApi {
  const values = new Map([
    [CLIENT_SECRET_NAME, target.clientSecret],
    [refreshTokenSecretName(ACCOUNT), target.refreshToken],
  ]);
  return createAmazonApi({
    clientId: target.clientId,
    overrides: { endpoint: target.endpoint, lwaTokenUrl: target.lwaTokenUrl },
    secrets: {
      async get(name) {
        const value = values.get(name);
        if (value === undefined) throw new Error(`no secret ${name}`);
        return value;
      },
    },
    database,
    audit: { record: async () => undefined },
    clock: scaledClock(target.originMs, target.timeScale),
    // Node's timers count from the event loop's cached time and truncate fractions, so they may fire a real
    // millisecond or two early; scaled up, that is a token. Rounding up keeps a scaled sleep never short.
    sleep: (ms) => delay(Math.ceil(ms / target.timeScale) + 2).then(() => undefined),
    accounts: { profile: async () => ({ region: "na", features: [] }) },
    plans: { getMarketplaceParticipations: target.plan },
    // The margin guards against real-time jitter (network, event loops); in Amazon time it scales too.
    marginMs: DEFAULT_MARGIN_MS * target.timeScale,
  });
}

/** `callers` concurrent loops of getMarketplaceParticipations until the window closes. */
export async function runCallers(api: AmazonApi, target: LoadTarget): Promise<LoadResult> {
  const result: LoadResult = { succeeded: 0, failed: 0, lateMs: Math.max(0, Date.now() - target.startMs) };
  await delay(Math.max(0, target.startMs - Date.now()));
  await Promise.all(
    Array.from({ length: target.callers }, async () => {
      while (Date.now() < target.endMs) {
        try {
          await getMarketplaceParticipations(api.client, ACCOUNT);
          if (Date.now() <= target.endMs) result.succeeded++;
        } catch {
          result.failed++;
        }
      }
    }),
  );
  return result;
}
