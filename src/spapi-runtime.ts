import type { Region } from "./accounts/accounts-repo.js";
import { type Sleep, timerSleep } from "./amazon/abort.js";
import { type AmazonApi, createAmazonApi } from "./amazon/amazon-api.js";
import type { EndpointOverrides } from "./amazon/endpoints.js";
import type { Config } from "./config/config.js";
import { type ClientSecretRotation, createClientSecretRotation } from "./connect/client-secret-rotation.js";
import {
  type ConnectService,
  createConnectService,
  SELLER_CENTRAL_CONSENT_URLS,
} from "./connect/connect-service.js";
import type { Clock } from "./platform/clock.js";
import type { Runtime } from "./runtime.js";
import { createSyncEngine, type SyncEngine } from "./sync/sync-engine.js";

/** Where Amazon is and who we are to it: from configuration, or from the demo sandbox's start-up line. */
export interface SpApiSetup {
  clientId: string;
  applicationId: string;
  overrides: EndpointOverrides;
  consentUrl: string;
  /** Draft applications and the sandbox need `version=beta` on the consent URL. */
  beta: boolean;
  /** Our callback as Amazon knows it: `<public URL>/api/connect/callback`. */
  redirectUri: string;
  region: Region;
}

export interface SpApiRuntime {
  api: AmazonApi;
  connect: ConnectService;
  /** Amazon's 180-day client secret rule (request, accept the notified secret). */
  clientSecret: ClientSecretRotation;
  /** Orders, inventory, pricing and finances into the store, within Amazon's rate limits. */
  sync: SyncEngine;
  close(): Promise<void>;
}

export const CALLBACK_PATH = "/api/connect/callback";

/** The setup for a connected instance (LWA credentials configured), or null in demo mode. */
export function spApiSetupFromConfig(config: Config, publicUrl: string): SpApiSetup | null {
  if (!config.lwa) return null;
  const region: Region = "na";
  return {
    clientId: config.lwa.clientId,
    applicationId: config.lwa.appId,
    overrides: config.spapi,
    consentUrl: SELLER_CENTRAL_CONSENT_URLS[region],
    beta: false,
    redirectUri: `${publicUrl}${CALLBACK_PATH}`,
    region,
  };
}

/**
 * The one SP-API client and the connect service over an opened runtime. The client asks the connect service
 * for each account's region and features (the allowlist); the connect service calls Amazon through the client.
 */
export interface AmazonTime {
  /** Amazon's clock as we see it (the system clock, or the demo sandbox's scaled time). */
  clock: Clock;
  /** Waits `ms` of that clock's time; an abort of the signal ends the wait at once (see Sleep). */
  sleep: Sleep;
}

const realTime = (rt: Pick<Runtime, "clock">): AmazonTime => ({
  clock: rt.clock,
  sleep: timerSleep(),
});

export interface SpApiOptions {
  /** Amazon's time (default: the runtime's clock and real waiting). */
  amazonTime?: AmazonTime;
  /** See ConnectServiceDeps.onConnected. */
  onConnected?: (accountId: string) => Promise<void>;
}

export function openSpApi(
  rt: Pick<Runtime, "database" | "secrets" | "audit" | "clock" | "fields">,
  setup: SpApiSetup,
  options: SpApiOptions = {},
): SpApiRuntime {
  const amazonTime = options.amazonTime ?? realTime(rt);
  let connect: ConnectService | null = null;
  const api = createAmazonApi({
    clientId: setup.clientId,
    overrides: setup.overrides,
    secrets: rt.secrets,
    database: rt.database,
    audit: rt.audit,
    // Tokens, rate buckets and backoff live in Amazon's time.
    clock: amazonTime.clock,
    sleep: amazonTime.sleep,
    accounts: {
      profile: (accountId) => (connect as ConnectService).profile(accountId),
    },
    applicationRegion: setup.region,
  });
  connect = createConnectService({
    db: rt.database.db,
    fields: rt.fields,
    secrets: rt.secrets,
    lwa: api.lwa,
    client: api.client,
    audit: rt.audit,
    clock: rt.clock,
    applicationId: setup.applicationId,
    region: setup.region,
    consentUrl: setup.consentUrl,
    beta: setup.beta,
    redirectUri: setup.redirectUri,
    ...(options.onConnected ? { onConnected: options.onConnected } : {}),
  });
  const clientSecret = createClientSecretRotation({
    client: api.client,
    lwa: api.lwa,
    secrets: rt.secrets,
    audit: rt.audit,
    clock: rt.clock,
    clientId: setup.clientId,
    applicationId: setup.applicationId,
  });
  const sync = createSyncEngine({
    db: rt.database.db,
    fields: rt.fields,
    client: api.client,
    transport: api.transport,
    audit: rt.audit,
    // Checkpoints and rows are stamped with our time; searches, report ranges and waits follow Amazon's.
    clock: rt.clock,
    amazonClock: amazonTime.clock,
    sleep: amazonTime.sleep,
    guard: connect.guard,
  });
  return { api, connect, clientSecret, sync, close: async () => api.close() };
}
