/**
 * Child process for the API benchmark. "app": the real application on a real runtime (SQLCipher store,
 * vault, hash-chained audit log), serving GET /api/accounts/:accountId/members behind the authentication
 * hook with an audit entry per read. "bare": the same listMembers() handler on a plain Fastify HTTPS
 * server, no authentication, no audit. Both seed the same 60 members; the parent gets the account id and
 * (for the app) a scoped API token over IPC.
 */
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import { createSellerAccount } from "../../src/accounts/accounts-repo.js";
import { buildApp } from "../../src/app.js";
import { auditSigner } from "../../src/audit/audit-chain.js";
import { loadConfig } from "../../src/config/config.js";
import { TLS_MIN_VERSION, TLS12_CIPHERS } from "../../src/http/tls.js";
import type { Operator } from "../../src/identity/invitations.js";
import { listMembers } from "../../src/identity/team-routes.js";
import { systemClock } from "../../src/platform/clock.js";
import { openRuntime, type Runtime } from "../../src/runtime.js";
import { createServices, type Services } from "../../src/services.js";
import type { FromChild, ToChild } from "../lib/child-server.js";
import { discardingLogger, tempDir } from "../lib/fixtures.js";

export const MEMBERS = 60;
export const PAGE = 50;
const OPERATOR: Operator = { kind: "operator", name: "bench" };

type Started = { port: number; info: Record<string, string>; stop: () => Promise<void> };

async function seeded(): Promise<{ runtime: Runtime; services: Services; info: Record<string, string> }> {
  const tmp = tempDir("sp-bench-api-");
  const config = loadConfig({ SELLER_PILOT_DATA_DIR: tmp.dir, SELLER_PILOT_LOG_LEVEL: "warn" }, tmp.dir);
  const runtime = await openRuntime({ config, clock: systemClock, logger: discardingLogger("warn") });
  const services = createServices(runtime);
  const db = runtime.database.db;
  const org = await services.identity.createOrganisation(OPERATOR, "Bench agency");
  const account = await createSellerAccount(
    db,
    runtime.fields,
    { name: "Bench brand", region: "eu", organisationId: org.id },
    systemClock.now(),
  );
  let owner = "";
  for (let i = 0; i < MEMBERS; i++) {
    const user = await services.identity.createUser(OPERATOR, {
      organisationId: org.id,
      email: `member.${i}@bench.example`,
      displayName: `Member ${i}`,
    });
    const role = i === 0 ? "owner" : "viewer";
    await services.identity.grantRole(OPERATOR, { userId: user.id, accountId: account.id, role });
    if (i === 0) owner = user.id;
  }
  const { token } = await services.modules.apiTokens.create(
    { id: "bench", userId: owner, mfaVerified: true },
    { name: "bench", scopes: { accounts: [account.id], permissions: ["team:read"] }, ttlMs: 86_400_000 },
  );
  return { runtime, services, info: { accountId: account.id, organisationId: org.id, token } };
}

async function startApp(cert: string, key: string): Promise<Started> {
  const { runtime, services, info } = await seeded();
  const app = await buildApp({
    config: runtime.config,
    logger: runtime.logger,
    database: runtime.database,
    clock: systemClock,
    tls: { cert, key },
    version: "0.0.0-bench",
    webRoot: null,
    identity: {
      services,
      audit: runtime.audit,
      auditPublicKey: auditSigner(runtime.master.key).publicKey,
    },
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    port: (app.server.address() as AddressInfo).port,
    info,
    async stop() {
      await app.close();
      await runtime.close();
    },
  };
}

async function startBare(cert: string, key: string): Promise<Started> {
  const { runtime, info } = await seeded();
  const app = Fastify({
    https: { cert, key, minVersion: TLS_MIN_VERSION, ciphers: TLS12_CIPHERS, honorCipherOrder: true },
  });
  const scope = { accountId: info.accountId ?? "", organisationId: info.organisationId ?? "" };
  app.get("/api/accounts/:accountId/members", async () => ({
    members: await listMembers(runtime.database.db, systemClock, scope, PAGE),
  }));
  await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    port: (app.server.address() as AddressInfo).port,
    info: { accountId: scope.accountId },
    async stop() {
      await app.close();
      await runtime.close();
    },
  };
}

let stopServer: (() => Promise<void>) | null = null;
let stopping: Promise<void> | null = null;

function shutdown(code: number): Promise<void> {
  stopping ??= (async () => {
    try {
      await stopServer?.();
    } catch (err) {
      process.stderr.write(`api bench server: close failed: ${err instanceof Error ? err.message : err}\n`);
      process.exit(1);
    }
    process.exit(code);
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
  const start = message.kind === "app" ? startApp : startBare;
  start(message.cert, message.key).then(
    (started) => {
      stopServer = started.stop;
      reply({ type: "listening", port: started.port, info: started.info });
    },
    (err: unknown) => {
      reply({ type: "failed", message: err instanceof Error ? err.message : String(err) });
      void shutdown(1);
    },
  );
});

process.on("disconnect", () => void shutdown(1));
