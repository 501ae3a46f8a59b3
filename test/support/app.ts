import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { type App, type AppAmazon, buildApp } from "../../src/app.js";
import { auditSigner } from "../../src/audit/audit-chain.js";
import { type AuditLog, createDatabaseAuditSink } from "../../src/audit/audit-log.js";
import type { Config } from "../../src/config/config.js";
import { loadConfig } from "../../src/config/config.js";
import { createDataKeys } from "../../src/crypto/data-keys.js";
import { createFieldCipher, type FieldCipher } from "../../src/crypto/field-cipher.js";
import { createKeyring } from "../../src/crypto/keyring.js";
import { createLocalKeyProvider } from "../../src/crypto/local-key-provider.js";
import { type MasterKey, masterKeyFromBytes } from "../../src/crypto/master-key.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import type { DB } from "../../src/db/schema.js";
import { createInProcessRunner } from "../../src/jobs/in-process-runner.js";
import type { JobRunner } from "../../src/jobs/jobs-types.js";
import { ManualClock } from "../../src/platform/clock.js";
import type { Logger } from "../../src/platform/logger.js";
import { keystoreView, VAULT_MIGRATIONS } from "../../src/secrets/vault.js";
import type { VaultDB } from "../../src/secrets/vault-schema.js";
import { createServices, type Services } from "../../src/services.js";
import { capturingLogger } from "./log-capture.js";
import { openTestStore, type StoreName, type TestStore, tempDir } from "./stores.js";
import { testCertificate } from "./tls.js";

export interface TestApp {
  app: App;
  store: TestStore;
  db: Kysely<DB>;
  clock: ManualClock;
  config: Config;
  master: MasterKey;
  fields: FieldCipher;
  /** The real hash-chained audit log on the test store. */
  audit: AuditLog;
  services: Services;
  jobs: JobRunner | null;
  logs: { lines: string[]; text(): string };
  close(): Promise<void>;
}

export interface TestAppOptions {
  store?: StoreName;
  env?: Record<string, string>;
  migrate?: boolean;
  webRoot?: string | null;
  logger?: Logger;
  /** Per-IP limit on the auth routes (the production default is 10 a minute). */
  authRateLimit?: number;
  /** The SP-API side (a real client against the sandbox); none by default. */
  amazon?: AppAmazon | null;
  /** An in-process job runner on the test store (not started: tests drive runDue), exposed as `jobs`. */
  jobs?: boolean;
}

/**
 * The real application on a real, fresh store (and vault), with the real key hierarchy, audit log and
 * identity services, a manual clock and captured logs.
 */
export async function makeTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const tmp = tempDir("sp-app-");
  const config = loadConfig({ SELLER_PILOT_DATA_DIR: tmp.dir, ...options.env }, tmp.dir);
  const kind = options.store ?? "sqlite";
  const store = await openTestStore(kind);
  if (options.migrate !== false) await migrateToLatest(store.database.db);
  const vault = await openTestStore(kind);
  const vaultDb = vault.database.db as unknown as Kysely<VaultDB>;
  await migrateToLatest(vaultDb, VAULT_MIGRATIONS);
  const capture = capturingLogger("info");
  const logger = options.logger ?? capture.logger;
  const clock = new ManualClock("2026-11-28T12:00:00.000Z");
  const master = masterKeyFromBytes(randomBytes(32));
  const provider = createLocalKeyProvider(master);
  const keyring = createKeyring({ provider, clock });
  const dataKeys = createDataKeys({ keystore: keystoreView(vaultDb), provider, keyring, clock });
  const fields = createFieldCipher({ dataKeys });
  const audit = createDatabaseAuditSink({ database: store.database, clock, master, logger });
  const services = createServices({
    database: store.database,
    clock,
    audit,
    fields,
    master: { key: master, file: "(test)", generated: false },
  });
  const jobs = options.jobs ? createInProcessRunner({ database: store.database, clock, logger }) : null;
  const app = await buildApp({
    config,
    jobs,
    logger,
    database: store.database,
    clock,
    tls: await testCertificate(),
    version: "0.1.0-test",
    webRoot: options.webRoot ?? null,
    ...(options.amazon ? { amazon: options.amazon } : {}),
    identity: {
      services,
      audit,
      auditPublicKey: auditSigner(master).publicKey,
      ...(options.authRateLimit !== undefined ? { authRateLimit: options.authRateLimit } : {}),
    },
  });
  await app.ready();
  return {
    app,
    store,
    db: store.database.db,
    clock,
    config,
    master,
    fields,
    audit,
    services,
    jobs,
    logs: capture,
    async close() {
      await app.close();
      await jobs?.stop();
      await audit.close();
      await vault.dispose();
      await store.dispose();
      tmp.remove();
    },
  };
}
