import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { AuditSink } from "../../src/audit/audit-sink.js";
import { loggerAuditSink } from "../../src/audit/audit-sink.js";
import { createDataKeys, type DataKeys } from "../../src/crypto/data-keys.js";
import { createFieldCipher, type FieldCipher } from "../../src/crypto/field-cipher.js";
import type { KeyCacheLimits } from "../../src/crypto/key-cache.js";
import type { KeyProvider } from "../../src/crypto/key-provider.js";
import { createKeyring, type Keyring } from "../../src/crypto/keyring.js";
import type { KeystoreDB } from "../../src/crypto/keystore-schema.js";
import { createLocalKeyProvider } from "../../src/crypto/local-key-provider.js";
import { type MasterKey, masterKeyFromBytes } from "../../src/crypto/master-key.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { ManualClock } from "../../src/platform/clock.js";
import { createSecretsStore, type SecretsStore } from "../../src/secrets/secrets-store.js";
import { keystoreView, VAULT_MIGRATIONS } from "../../src/secrets/vault.js";
import type { VaultDB } from "../../src/secrets/vault-schema.js";
import { capturingLogger } from "./log-capture.js";
import { openTestStore, type StoreName, type TestStore } from "./stores.js";

export interface TestProtection {
  /** The data store (migrated). */
  data: TestStore;
  /** The vault (migrated): keystore and secrets. */
  vault: TestStore & { db: Kysely<VaultDB> };
  keystore: Kysely<KeystoreDB>;
  master: MasterKey;
  provider: KeyProvider;
  keyring: Keyring;
  dataKeys: DataKeys;
  fields: FieldCipher;
  secrets: SecretsStore;
  audit: AuditSink;
  clock: ManualClock;
  logs: { lines: string[]; text(): string };
  dispose(): Promise<void>;
}

export interface ProtectionOptions {
  /** Wraps the real provider (e.g. to count calls or inject a failure). */
  wrapProvider?: (provider: KeyProvider) => KeyProvider;
  provider?: KeyProvider;
  cacheLimits?: KeyCacheLimits;
  master?: MasterKey;
}

/** The real key hierarchy on two fresh, migrated stores of one kind, with a manual clock. */
export async function openTestProtection(
  store: StoreName,
  options: ProtectionOptions = {},
): Promise<TestProtection> {
  const data = await openTestStore(store);
  const vaultStore = await openTestStore(store);
  await migrateToLatest(data.database.db);
  const vaultDb = vaultStore.database.db as unknown as Kysely<VaultDB>;
  await migrateToLatest(vaultDb, VAULT_MIGRATIONS);
  const master = options.master ?? masterKeyFromBytes(randomBytes(32));
  const base = options.provider ?? createLocalKeyProvider(master);
  const provider = options.wrapProvider ? options.wrapProvider(base) : base;
  const clock = new ManualClock("2026-11-28T12:00:00.000Z");
  const keyring = createKeyring({ provider, clock });
  const keystore = keystoreView(vaultDb);
  const dataKeys = createDataKeys({
    keystore,
    provider,
    keyring,
    clock,
    ...(options.cacheLimits ? { cacheLimits: options.cacheLimits } : {}),
  });
  const fields = createFieldCipher({ dataKeys });
  const capture = capturingLogger("info");
  const audit = loggerAuditSink(capture.logger);
  const secrets = createSecretsStore({
    vault: vaultDb,
    fields,
    outerKey: master.derive("secrets-store"),
    clock,
    audit,
  });
  return {
    data,
    vault: Object.assign(vaultStore, { db: vaultDb }),
    keystore,
    master,
    provider,
    keyring,
    dataKeys,
    fields,
    secrets,
    audit,
    clock,
    logs: capture,
    async dispose() {
      await vaultStore.dispose();
      await data.dispose();
    },
  };
}

/** A provider that forwards to a real one and counts calls; optionally fails the nth re-encryption. */
export function countingProvider(inner: KeyProvider, failReEncryptAt?: number) {
  const calls = { generate: 0, decrypt: 0, reEncrypt: 0 };
  const provider: KeyProvider = {
    kind: inner.kind,
    createKek: (v) => inner.createKek(v),
    async generateDataKey(kek, ctx) {
      calls.generate += 1;
      return inner.generateDataKey(kek, ctx);
    },
    async decryptDataKey(kek, wrapped, ctx) {
      calls.decrypt += 1;
      return inner.decryptDataKey(kek, wrapped, ctx);
    },
    async reEncryptDataKey(from, to, wrapped, ctx) {
      calls.reEncrypt += 1;
      if (failReEncryptAt !== undefined && calls.reEncrypt === failReEncryptAt) {
        throw new Error("simulated crash during re-wrap");
      }
      return inner.reEncryptDataKey(from, to, wrapped, ctx);
    },
  };
  return { provider, calls };
}
