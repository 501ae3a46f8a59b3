/**
 * Child process for the HTTP benchmarks: the real app, or a bare node:https server with the same
 * certificate and TLS options. Driven over IPC by bench/lib/child-server.ts; prints nothing to stdout.
 */
import { randomBytes } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";
import { openSqlite } from "../../src/db/database.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { TLS_MIN_VERSION, TLS12_CIPHERS } from "../../src/http/tls.js";
import { systemClock } from "../../src/platform/clock.js";
import { type FromChild, HEALTHZ_BODY, type ServerKind, type ToChild } from "../lib/child-server.js";
import { discardingLogger, tempDir } from "../lib/fixtures.js";

type Stop = () => Promise<void>;

async function startApp(cert: string, key: string): Promise<{ port: number; stop: Stop }> {
  const tmp = tempDir("sp-bench-app-");
  const config = loadConfig({ SELLER_PILOT_DATA_DIR: tmp.dir }, tmp.dir);
  const dbKey = randomBytes(32);
  const database = await openSqlite(path.join(tmp.dir, "seller-pilot.db"), dbKey);
  dbKey.fill(0);
  await migrateToLatest(database.db);
  const app = await buildApp({
    config,
    logger: discardingLogger("warn"),
    database,
    clock: systemClock,
    tls: { cert, key },
    version: "0.0.0-bench",
    webRoot: null,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    port: (app.server.address() as AddressInfo).port,
    async stop() {
      await app.close();
      await database.close();
      tmp.remove();
    },
  };
}

async function startBare(cert: string, key: string): Promise<{ port: number; stop: Stop }> {
  const body = Buffer.from(HEALTHZ_BODY);
  const server = https.createServer(
    { cert, key, minVersion: TLS_MIN_VERSION, ciphers: TLS12_CIPHERS, honorCipherOrder: true },
    (req, res) => {
      if (req.method === "GET" && req.url === "/healthz") {
        res.writeHead(200, {
          "content-type": "application/json; charset=utf-8",
          "content-length": body.length,
        });
        res.end(body);
        return;
      }
      res.writeHead(404).end();
    },
  );
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const starters: Record<ServerKind, (cert: string, key: string) => Promise<{ port: number; stop: Stop }>> = {
  app: startApp,
  bare: startBare,
};

let stopServer: Stop | null = null;
let stopping: Promise<void> | null = null;

/** Closes the server (and its store) once, then exits; later calls wait for the first. */
function shutdown(code: number): Promise<void> {
  stopping ??= (async () => {
    let exitCode = code;
    try {
      await stopServer?.();
    } catch (err) {
      process.stderr.write(
        `bench server: close failed: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      exitCode = 1;
    }
    process.exit(exitCode);
  })();
  return stopping;
}

function reply(message: FromChild): void {
  process.send?.(message);
}

process.on("message", (message: ToChild) => {
  if (message.type === "stop") {
    void shutdown(0);
    return;
  }
  starters[message.kind](message.cert, message.key).then(
    (started) => {
      stopServer = started.stop;
      reply({ type: "listening", port: started.port });
    },
    (err: unknown) => {
      reply({ type: "failed", message: err instanceof Error ? err.message : String(err) });
      void shutdown(1);
    },
  );
});

// The parent went away without saying stop: do not outlive it.
process.on("disconnect", () => void shutdown(1));
