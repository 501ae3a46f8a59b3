import { randomBytes } from "node:crypto";
import { timerSleep } from "../amazon/abort.js";
import { scaledClock } from "../platform/clock.js";
import type { Runtime } from "../runtime.js";
import { CLIENT_SECRET_NAME } from "../secrets/client-secret-age.js";
import { INSTANCE_ACCOUNT } from "../secrets/secrets-store.js";
import type { Services } from "../services.js";
import { CALLBACK_PATH, openSpApi, type SpApiRuntime } from "../spapi-runtime.js";
import { firstAdminEnrollment } from "./demo-admin.js";
import { type DemoSandbox, startDemoSandbox } from "./demo-sandbox.js";
import { seedDemo } from "./demo-seed.js";

/**
 * Demo mode runs Amazon 30 times faster: a two-year backfill that Amazon's report quotas stretch over ten
 * minutes takes about twenty seconds, while the 5-minute authorization code still leaves ten real seconds to
 * come back from the consent page.
 */
export const DEMO_TIME_SCALE = 30;

/** The instance's demo credential seed lives in the vault like any other secret, never in a file or flag. */
export const DEMO_SEED_SECRET = "demo.sandbox_credential_seed";
const ACTOR = "system:demo-mode";

type DemoRuntime = Pick<Runtime, "database" | "secrets" | "audit" | "clock" | "fields" | "config">;

export interface DemoSpApi {
  spapi: SpApiRuntime;
  sandbox: DemoSandbox;
  close(): Promise<void>;
}

/**
 * The seed, and the moment it was made: the demo sellers' two years of history end there, so every sandbox this
 * instance starts (the server's, a CLI command's, after a restart) serves the same orders with the same dates.
 */
async function credentialSeed(rt: DemoRuntime): Promise<{ seed: string; dataEnd: string }> {
  if ((await rt.secrets.metadata(DEMO_SEED_SECRET)) === null) {
    await rt.secrets.put(DEMO_SEED_SECRET, randomBytes(32).toString("base64url"), {
      accountId: INSTANCE_ACCOUNT,
      actor: ACTOR,
    });
  }
  const meta = await rt.secrets.metadata(DEMO_SEED_SECRET);
  const created =
    meta?.versions.find((v) => v.state === "current")?.createdAt ?? rt.clock.now().toISOString();
  return { seed: await rt.secrets.get(DEMO_SEED_SECRET, { component: ACTOR }), dataEnd: created };
}

/**
 * Demo mode's Amazon: the sandbox as a child process whose credentials derive from this instance's seed (so a
 * CLI command's sandbox and the server's accept the same tokens), the client secret it expects in the vault,
 * and the one SP-API client pointed at it.
 */
export async function openDemoSpApi(
  rt: DemoRuntime,
  opts: {
    publicUrl: string;
    orders?: number;
    execArgv?: string[];
    onConnected?: (accountId: string) => Promise<void>;
  },
): Promise<DemoSpApi> {
  const redirectUri = `${opts.publicUrl}${CALLBACK_PATH}`;
  const { seed, dataEnd } = await credentialSeed(rt);
  const sandbox = await startDemoSandbox({
    credentialSeed: seed,
    dataEnd,
    piiCanary: rt.config.demo.piiCanary,
    redirectUri,
    timeScale: DEMO_TIME_SCALE,
    ...(opts.orders !== undefined ? { orders: opts.orders } : {}),
    ...(opts.execArgv ? { execArgv: opts.execArgv } : {}),
  });
  try {
    const { info } = sandbox;
    const stored =
      (await rt.secrets.metadata(CLIENT_SECRET_NAME)) === null
        ? null
        : await rt.secrets.get(CLIENT_SECRET_NAME, { component: ACTOR });
    if (stored !== info.clientSecret) {
      await rt.secrets.put(CLIENT_SECRET_NAME, info.clientSecret, {
        accountId: INSTANCE_ACCOUNT,
        actor: ACTOR,
      });
    }
    // Made after the sandbox started, so our view of its time is never ahead of it.
    const amazonClock = scaledClock(rt.clock, DEMO_TIME_SCALE);
    const amazonTime = {
      clock: amazonClock,
      sleep: timerSleep((ms) => amazonClock.realMs(ms)),
    };
    const spapi = openSpApi(
      rt,
      {
        clientId: info.clientId,
        applicationId: info.applicationId,
        overrides: { endpoint: info.endpoint, lwaTokenUrl: info.lwaTokenUrl },
        consentUrl: info.consentUrl,
        beta: true,
        redirectUri,
        region: "na",
      },
      { amazonTime, ...(opts.onConnected ? { onConnected: opts.onConnected } : {}) },
    );
    return {
      spapi,
      sandbox,
      async close() {
        await spapi.close();
        await sandbox.stop();
      },
    };
  } catch (err) {
    await sandbox.stop();
    throw err;
  }
}

export interface DemoStart extends DemoSpApi {
  organisationId: string;
  accountIds: string[];
  /** The first admin's enrollment, while nobody can sign in yet. */
  enrollment: { email: string; token: string; expiresAt: string } | null;
}

/** `start` without LWA credentials: the demo sandbox, the demo agency's two seller accounts, the first admin. */
export async function startDemoMode(
  rt: DemoRuntime,
  services: Pick<Services, "identity">,
  opts: { publicUrl: string; orders?: number; onConnected?: (accountId: string) => Promise<void> },
): Promise<DemoStart> {
  const demo = await openDemoSpApi(rt, opts);
  try {
    const seeded = await seedDemo(
      { db: rt.database.db, clock: rt.clock, connect: demo.spapi.connect },
      demo.sandbox.info.sellers,
    );
    const accountIds = seeded.accounts.map((a) => a.accountId);
    const enrollment = await firstAdminEnrollment(
      { db: rt.database.db, services },
      { organisationId: seeded.organisationId, accountIds },
    );
    return { ...demo, organisationId: seeded.organisationId, accountIds, enrollment };
  } catch (err) {
    await demo.close();
    throw err;
  }
}
