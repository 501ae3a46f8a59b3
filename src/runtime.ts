import type { KMSClient } from "@aws-sdk/client-kms";
import { type AuditLog, createDatabaseAuditSink } from "./audit/audit-log.js";
import type { AuditSink } from "./audit/audit-sink.js";
import type { Config } from "./config/config.js";
import { createDataKeys, type DataKeys } from "./crypto/data-keys.js";
import { createFieldCipher, type FieldCipher } from "./crypto/field-cipher.js";
import type { KeyProvider } from "./crypto/key-provider.js";
import { createKeyring, type Keyring } from "./crypto/keyring.js";
import { createKmsClient } from "./crypto/kms-client.js";
import { createKmsKeyProvider } from "./crypto/kms-key-provider.js";
import { createLocalKeyProvider } from "./crypto/local-key-provider.js";
import { type LoadedMasterKey, loadMasterKey } from "./crypto/master-key.js";
import { type Database, openDatabase } from "./db/database.js";
import { migrateToLatest } from "./db/migrate.js";
import type { Clock } from "./platform/clock.js";
import type { Logger } from "./platform/logger.js";
import { CLIENT_SECRET_NAME } from "./secrets/client-secret-age.js";
import { createSecretsStore, INSTANCE_ACCOUNT, type SecretsStore } from "./secrets/secrets-store.js";
import { keystoreView, openVault, VAULT_MIGRATIONS } from "./secrets/vault.js";
import type { VaultDB } from "./secrets/vault-schema.js";

/** Everything a process needs to touch protected data: keys, both stores, the field cipher, the secrets store. */
export interface Runtime {
  config: Config;
  clock: Clock;
  logger: Logger;
  master: LoadedMasterKey;
  database: Database;
  vault: Database<VaultDB>;
  provider: KeyProvider;
  keyring: Keyring;
  dataKeys: DataKeys;
  fields: FieldCipher;
  secrets: SecretsStore;
  audit: AuditSink;
  close(): Promise<void>;
}

export interface RuntimeDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  /** Injected only where a process already has one; otherwise built from config when KMS is configured. */
  kmsClient?: Pick<KMSClient, "send">;
}

function keyProviderFor(deps: RuntimeDeps, master: LoadedMasterKey): KeyProvider {
  const kms = deps.config.masterKey.kms;
  if (!kms) return createLocalKeyProvider(master.key);
  return createKmsKeyProvider({ client: deps.kmsClient ?? createKmsClient(kms), keyId: kms.keyId });
}

/**
 * Opens and migrates the data store and the vault, and wires the key hierarchy:
 * master key -> KEK versions (keyring) -> per-account data keys -> sealed fields and secrets.
 */
export async function openRuntime(deps: RuntimeDeps): Promise<Runtime> {
  const { config, clock, logger } = deps;
  const master = await loadMasterKey(config.masterKey);
  const database = await openDatabase(config.database, master.key);
  let vault: Database<VaultDB> | null = null;
  let audit: AuditLog | null = null;
  try {
    const data = await migrateToLatest(database.db);
    vault = await openVault(config, master.key);
    const keys = await migrateToLatest(vault.db, VAULT_MIGRATIONS);
    const executed = [...data.executed, ...keys.executed.map((name) => `vault/${name}`)];
    if (executed.length > 0) logger.info({ migrations: executed }, "applied migrations");
    const provider = keyProviderFor(deps, master);
    const keyring = createKeyring({ provider, clock });
    const dataKeys = createDataKeys({ keystore: keystoreView(vault.db), provider, keyring, clock });
    const fields = createFieldCipher({ dataKeys });
    // After the migrations: the hash-chained log lives in the data store. close() flushes and seals it.
    audit = createDatabaseAuditSink({ database, clock, master: master.key, logger });
    const secrets = createSecretsStore({
      vault: vault.db,
      fields,
      outerKey: master.key.derive("secrets-store"),
      clock,
      audit,
    });
    // The environment seeds the client secret once; from then on it lives (and rotates) in the vault.
    if (config.lwa && (await secrets.metadata(CLIENT_SECRET_NAME)) === null) {
      await secrets.put(CLIENT_SECRET_NAME, config.lwa.clientSecret, {
        accountId: INSTANCE_ACCOUNT,
        actor: "config",
      });
    }
    const openedVault = vault;
    const openedAudit = audit;
    return {
      config,
      clock,
      logger,
      master,
      database,
      vault: openedVault,
      provider,
      keyring,
      dataKeys,
      fields,
      secrets,
      audit: openedAudit,
      async close() {
        try {
          await openedAudit.close();
        } finally {
          await openedVault.close();
          await database.close();
        }
      },
    };
  } catch (err) {
    await audit?.close().catch(() => undefined);
    await vault?.close();
    await database.close();
    throw err;
  }
}
