import { type AddressInfo, createServer } from "node:net";
import { buildApp } from "./app.js";
import { auditSigner } from "./audit/audit-chain.js";
import {
  onAccountConnected,
  registerAmazonJobs,
  scheduleAmazonJobs,
  scheduleMaintenanceJobs,
} from "./background-jobs.js";
import type { Config } from "./config/config.js";
import { isDemoMode } from "./config/config.js";
import { startDemoMode } from "./demo/demo-mode.js";
import { createRedirectServer } from "./http/redirect-server.js";
import { loadTlsMaterial } from "./http/tls.js";
import { createIncidentResponse } from "./incidents/incident-response.js";
import { createJobRunner } from "./jobs/create-job-runner.js";
import type { JobRunner } from "./jobs/jobs-types.js";
import type { Clock } from "./platform/clock.js";
import type { Logger } from "./platform/logger.js";
import { packageVersion, webDistDir } from "./platform/paths.js";
import { createRetentionService } from "./retention/retention-service.js";
import { openRuntime } from "./runtime.js";
import { createServices } from "./services.js";
import { ensureInstanceIdentity } from "./settings/instance.js";
import { openSpApi, type SpApiRuntime, spApiSetupFromConfig } from "./spapi-runtime.js";

/**
 * How long a stop waits for running jobs. They stop within moments when told (the sync honours its signal);
 * one that does not keeps its lease and re-runs in the next process, and close-with-grace's 10 s still cover
 * the sandbox and the store after it.
 */
export const JOB_STOP_GRACE_MS = 5_000;

export interface ServerDeps {
  config: Config;
  logger: Logger;
  clock: Clock;
  /** Human-facing notices (the ready line, loud warnings); logs go to the logger. */
  notice: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  redirectPort: number | null;
  close(): Promise<void>;
}

function displayHost(host: string): string {
  return host === "0.0.0.0" || host === "::" || host === "127.0.0.1" || host === "::1" ? "localhost" : host;
}

/**
 * Port 0 asks for any free port, but Amazon's redirect URI (and the demo sandbox's registration of it) must be
 * known before the app is built: take one from the kernel first.
 */
async function choosePort(host: string, wanted: number): Promise<number> {
  if (wanted !== 0) return wanted;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, host, () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * Start-up: key -> store -> migrations -> certificate -> SP-API (the demo sandbox without LWA credentials)
 * -> HTTPS (+ optional redirect) listener.
 */
export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { logger, clock, notice } = deps;
  const config = { ...deps.config, port: await choosePort(deps.config.host, deps.config.port) };
  const url = config.publicUrl ?? `https://${displayHost(config.host)}:${config.port}`;
  const runtime = await openRuntime({ config, clock, logger });
  const { master, database } = runtime;
  if (master.generated && !config.masterKey.kms) {
    const warning = `Generated a development master key at ${master.file}. Every encrypted byte depends on it: back it up, and set SELLER_PILOT_MASTER_KEY_FILE in production.`;
    logger.warn({ file: master.file }, "generated a development master key");
    notice(`WARNING: ${warning}`);
  }
  let amazon: { spapi: SpApiRuntime; close(): Promise<void> } | null = null;
  let jobs: JobRunner | null = null;
  let closeIncidents = () => {};
  try {
    const identity = await ensureInstanceIdentity(database.db, clock);
    const services = createServices(runtime);

    const tls = await loadTlsMaterial(config.tls, clock);
    if (tls.generated) {
      logger.warn({ validTo: tls.validTo.toISOString() }, "generated a self-signed development certificate");
    }

    // Background jobs: the queue and schedules live in the store (pg-boss on PostgreSQL), so a restart resumes them.
    const runner = createJobRunner({ database, store: config.database, clock, logger });
    jobs = runner;
    const onConnected = (accountId: string) => onAccountConnected(runner, accountId);
    let enrollment: Awaited<ReturnType<typeof startDemoMode>>["enrollment"] = null;
    if (isDemoMode(config)) {
      const demo = await startDemoMode(runtime, services, { publicUrl: url, onConnected });
      amazon = demo;
      enrollment = demo.enrollment;
      logger.info(
        { sandbox: demo.sandbox.info.endpoint, accounts: demo.accountIds.length },
        "demo mode: the built-in SP-API sandbox stands in for Amazon",
      );
    } else {
      const setup = spApiSetupFromConfig(config, url);
      if (setup) {
        const spapi = openSpApi(runtime, setup, { onConnected });
        amazon = { spapi, close: spapi.close };
      }
    }
    const incidents = createIncidentResponse({
      db: database.db,
      clock,
      audit: runtime.audit,
      config,
      logger,
      trustedPublicKeys: [auditSigner(master.key).publicKey],
    });
    closeIncidents = () => incidents.close();
    const retention = createRetentionService({
      database,
      vault: runtime.vault,
      dataKeys: runtime.dataKeys,
      secrets: runtime.secrets,
      audit: runtime.audit,
      clock,
      signer: auditSigner(master.key),
      ...(config.retention ? { accountGraceDays: config.retention.accountGraceDays } : {}),
    });
    await scheduleMaintenanceJobs(runner, { retention, incidents });
    if (amazon) {
      // Demo mode's secret derives from the instance seed: nothing to rotate there.
      const rotateClientSecret = !isDemoMode(config);
      registerAmazonJobs(runner, amazon.spapi, { rotateClientSecret });
      await scheduleAmazonJobs(runner, database.db, { rotateClientSecret });
    }

    const version = packageVersion();
    const app = await buildApp({
      config,
      logger,
      database,
      clock,
      tls,
      version,
      webRoot: webDistDir(),
      amazon: amazon
        ? {
            client: amazon.spapi.api.client,
            connect: amazon.spapi.connect,
            clientSecret: amazon.spapi.clientSecret,
          }
        : null,
      jobs: runner,
      identity: {
        services,
        audit: runtime.audit,
        auditPublicKey: auditSigner(master.key).publicKey,
      },
    });
    await app.listen({ host: config.host, port: config.port });
    const port = (app.server.address() as AddressInfo).port;
    await runner.start();

    let redirect: ReturnType<typeof createRedirectServer> | null = null;
    let redirectPort: number | null = null;
    if (config.httpRedirectPort !== null) {
      const server = createRedirectServer({ publicUrl: config.publicUrl, httpsPort: port, logger });
      redirect = server;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.httpRedirectPort ?? 0, config.host, () => resolve());
      });
      redirectPort = (server.address() as AddressInfo).port;
    }

    logger.info(
      {
        url,
        port,
        redirectPort,
        store: database.kind,
        instanceId: identity.instanceId,
        mode: isDemoMode(config) ? "demo" : "connected",
        version,
      },
      "listening",
    );
    if (enrollment) {
      // To the operator's terminal only: the link is a credential and never goes to the log.
      notice(
        `Enroll the first admin (${enrollment.email}, single use, expires ${enrollment.expiresAt}): ${url}/enroll?token=${encodeURIComponent(enrollment.token)}`,
      );
    }
    notice(`Seller Pilot ready at ${url}`);

    let closing: Promise<void> | null = null;
    return {
      url,
      port,
      redirectPort,
      close() {
        closing ??= (async () => {
          const server = redirect;
          // Everything stops taking work at once: the listeners close (in-flight requests drain) while the job
          // runner claims nothing more and aborts running jobs, which stop at their next call or wait; what
          // they stored stays checkpointed and the rest re-runs in the next process.
          await Promise.all([
            server ? new Promise<void>((resolve) => server.close(() => resolve())) : undefined,
            app.close(),
            jobs?.stop({ timeoutMs: JOB_STOP_GRACE_MS }),
          ]);
          closeIncidents();
          await amazon?.close();
          await runtime.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await jobs?.stop({ timeoutMs: JOB_STOP_GRACE_MS });
    closeIncidents();
    await amazon?.close();
    await runtime.close();
    throw err;
  }
}
