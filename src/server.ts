import type { AddressInfo } from "node:net";
import { buildApp } from "./app.js";
import { auditSigner } from "./audit/audit-chain.js";
import type { Config } from "./config/config.js";
import { isDemoMode } from "./config/config.js";
import { createRedirectServer } from "./http/redirect-server.js";
import { loadTlsMaterial } from "./http/tls.js";
import type { Clock } from "./platform/clock.js";
import type { Logger } from "./platform/logger.js";
import { packageVersion, webDistDir } from "./platform/paths.js";
import { openRuntime } from "./runtime.js";
import { createServices } from "./services.js";
import { ensureInstanceIdentity } from "./settings/instance.js";

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

/** Start-up: key -> store -> migrations -> certificate -> HTTPS (+ optional redirect) listener. */
export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { config, logger, clock, notice } = deps;
  const runtime = await openRuntime({ config, clock, logger });
  const { master, database } = runtime;
  if (master.generated && !config.masterKey.kms) {
    const warning = `Generated a development master key at ${master.file}. Every encrypted byte depends on it: back it up, and set SELLER_PILOT_MASTER_KEY_FILE in production.`;
    logger.warn({ file: master.file }, "generated a development master key");
    notice(`WARNING: ${warning}`);
  }
  try {
    const identity = await ensureInstanceIdentity(database.db, clock);

    const tls = await loadTlsMaterial(config.tls, clock);
    if (tls.generated) {
      logger.warn({ validTo: tls.validTo.toISOString() }, "generated a self-signed development certificate");
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
      identity: {
        services: createServices(runtime),
        audit: runtime.audit,
        auditPublicKey: auditSigner(master.key).publicKey,
      },
    });
    await app.listen({ host: config.host, port: config.port });
    const port = (app.server.address() as AddressInfo).port;

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

    const url = config.publicUrl ?? `https://${displayHost(config.host)}:${port}`;
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
    notice(`Seller Pilot ready at ${url}`);

    let closing: Promise<void> | null = null;
    return {
      url,
      port,
      redirectPort,
      close() {
        closing ??= (async () => {
          if (redirect) {
            const server = redirect;
            await new Promise<void>((resolve) => server.close(() => resolve()));
          }
          await app.close();
          await runtime.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await runtime.close();
    throw err;
  }
}
