import type { Kysely } from "kysely";
import { createSpApiClient } from "../../src/amazon/client.js";
import type { FeatureName } from "../../src/amazon/features.js";
import { createLwaClient } from "../../src/amazon/lwa.js";
import { bucketStoreFor, createRateLimiter } from "../../src/amazon/rate-limiter.js";
import { createHttpTransport, type HttpTransport } from "../../src/amazon/transport.js";
import type { AuditSink } from "../../src/audit/audit-sink.js";
import { createDataKeys } from "../../src/crypto/data-keys.js";
import { createFieldCipher, type FieldCipher } from "../../src/crypto/field-cipher.js";
import { createKeyring } from "../../src/crypto/keyring.js";
import { createLocalKeyProvider } from "../../src/crypto/local-key-provider.js";
import { masterKeyFromBytes } from "../../src/crypto/master-key.js";
import { type Database, openSqlite } from "../../src/db/database.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import type { DB } from "../../src/db/schema.js";
import type { Clock } from "../../src/platform/clock.js";
import { createSecretsStore, type SecretsStore } from "../../src/secrets/secrets-store.js";
import { keystoreView, VAULT_MIGRATIONS } from "../../src/secrets/vault.js";
import type { VaultDB } from "../../src/secrets/vault-schema.js";
import { createSyncEngine, type SyncEngine } from "../../src/sync/sync-engine.js";

/**
 * The production stack on two SQLite (SQLCipher) files — data and vault — that two processes open one after
 * the other: the kill test's parent prepares and inspects them, its child runs the sync. Time is Amazon
 * time of a time-scaled sandbox on a real clock: both sides compute it from the sandbox's origin.
 */
export interface FileStackConfig {
  dataFile: string;
  vaultFile: string;
  /** Hex: the master key and the two SQLCipher keys. */
  masterHex: string;
  dataKeyHex: string;
  vaultKeyHex: string;
  endpoint: string;
  lwaTokenUrl: string;
  clientId: string;
  originMs: number;
  timeScale: number;
}

export interface FileStack {
  data: Database;
  db: Kysely<DB>;
  fields: FieldCipher;
  secrets: SecretsStore;
  clock: Clock;
  transport: HttpTransport;
  engine(features: Map<string, FeatureName[]>): SyncEngine;
  close(): Promise<void>;
}

export function amazonClock(
  originMs: number,
  timeScale: number,
): Clock & { sleep(ms: number): Promise<void> } {
  return {
    now: () => new Date(originMs + (Date.now() - originMs) * timeScale),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / timeScale))),
  };
}

export async function openFileStack(config: FileStackConfig): Promise<FileStack> {
  const data = await openSqlite(config.dataFile, Buffer.from(config.dataKeyHex, "hex"));
  const vault = await openSqlite<VaultDB>(config.vaultFile, Buffer.from(config.vaultKeyHex, "hex"));
  await migrateToLatest(data.db);
  await migrateToLatest(vault.db, VAULT_MIGRATIONS);
  const master = masterKeyFromBytes(Buffer.from(config.masterHex, "hex"));
  const provider = createLocalKeyProvider(master);
  const clock = amazonClock(config.originMs, config.timeScale);
  const keyring = createKeyring({ provider, clock });
  const dataKeys = createDataKeys({ keystore: keystoreView(vault.db), provider, keyring, clock });
  const fields = createFieldCipher({ dataKeys });
  const audit: AuditSink = { record: async () => {} };
  const secrets = createSecretsStore({
    vault: vault.db,
    fields,
    outerKey: master.derive("secrets-store"),
    clock,
    audit,
  });
  const transport = createHttpTransport({ timeoutMs: 10_000 });
  return {
    data,
    db: data.db,
    fields,
    secrets,
    clock,
    transport,
    engine(features) {
      const lwa = createLwaClient({
        tokenUrl: config.lwaTokenUrl,
        clientId: config.clientId,
        secrets,
        transport,
        clock,
        sleep: clock.sleep,
      });
      // Buckets in the data file: a restarted process keeps honouring what the killed one spent.
      const limiter = createRateLimiter({ store: bucketStoreFor(data), clock, sleep: clock.sleep });
      const client = createSpApiClient({
        overrides: { endpoint: config.endpoint, lwaTokenUrl: config.lwaTokenUrl },
        accounts: {
          async profile(accountId) {
            return { region: "na", features: features.get(accountId) ?? [] };
          },
        },
        lwa,
        limiter,
        transport,
        audit,
        clock,
        sleep: clock.sleep,
      });
      return createSyncEngine({
        db: data.db,
        fields,
        client,
        transport,
        audit,
        clock,
        sleep: clock.sleep,
        tuning: { reportConcurrency: 4, batchSize: 100 },
      });
    },
    async close() {
      transport.close();
      await data.close();
      await vault.close();
    },
  };
}
