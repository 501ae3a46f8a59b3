import type { Kysely } from "kysely";
import type { Clock } from "../platform/clock.js";
import { MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { KeyCache, type KeyCacheLimits } from "./key-cache.js";
import type { EncryptionContext, KeyProvider } from "./key-provider.js";
import type { Keyring } from "./keyring.js";
import type { KeystoreDB } from "./keystore-schema.js";

export const DEFAULT_CACHE_LIMITS: KeyCacheLimits = { maxEntries: 1024, ttlMs: 5 * MS.minute };

/**
 * How long a process keeps sealing with the data-key version it last saw as current. Another process's
 * rotation is picked up within this bound; rotation waits longer than this before it retires the version
 * it replaced (see protection/key-rotation.ts), so nothing is sealed under a retired version.
 */
export const CURRENT_VERSION_TTL_MS = 30 * MS.second;

function dataKeyContext(accountId: string, version: number): EncryptionContext {
  return { purpose: "account-data-key", account: accountId, version: String(version) };
}

export interface DataKey {
  version: number;
  key: Buffer;
}

export interface DataKeyDeps {
  keystore: Kysely<KeystoreDB>;
  provider: KeyProvider;
  keyring: Keyring;
  clock: Clock;
  cacheLimits?: KeyCacheLimits;
}

/** One data key per seller account (versioned), wrapped by the current KEK; the only code that unwraps them. */
export function createDataKeys(deps: DataKeyDeps) {
  const { keystore, provider, keyring, clock } = deps;
  const cache = new KeyCache(clock, deps.cacheLimits ?? DEFAULT_CACHE_LIMITS);
  const cacheTtl = (deps.cacheLimits ?? DEFAULT_CACHE_LIMITS).ttlMs;
  const cacheId = (accountId: string, version: number) => `${accountId}\u0000${version}`;
  // Sealing asks "which version is current?" for every value; asking the vault each time was most of the cost.
  const currentVersions = new Map<string, { version: number; expiresAt: number }>();
  const currentVersionLimit = (deps.cacheLimits ?? DEFAULT_CACHE_LIMITS).maxEntries;

  function rememberCurrent(accountId: string, version: number): void {
    currentVersions.delete(accountId);
    currentVersions.set(accountId, {
      version,
      expiresAt: clock.now().getTime() + Math.min(CURRENT_VERSION_TTL_MS, cacheTtl),
    });
    while (currentVersions.size > currentVersionLimit) {
      const oldest = currentVersions.keys().next().value;
      if (oldest === undefined) break;
      currentVersions.delete(oldest);
    }
  }

  async function create(accountId: string, version: number): Promise<DataKey> {
    const kek = await keyring.current(keystore);
    const generated = await provider.generateDataKey(kek, dataKeyContext(accountId, version));
    await keystore
      .insertInto("vault_account_data_keys")
      .values({
        account_id: accountId,
        version,
        kek_version: kek.version,
        wrapped: generated.wrapped.toString("base64"),
        status: "current",
        created_at: clock.now().toISOString(),
        retired_at: null,
      })
      .execute();
    cache.set(cacheId(accountId, version), generated.plaintext);
    return { version, key: generated.plaintext };
  }

  /** The key new values of this account are sealed with; created on first use. */
  async function current(accountId: string): Promise<DataKey> {
    const known = currentVersions.get(accountId);
    if (known && known.expiresAt > clock.now().getTime()) {
      return { version: known.version, key: await byVersion(accountId, known.version) };
    }
    const found = await lookupCurrent(accountId);
    rememberCurrent(accountId, found.version);
    return found;
  }

  async function lookupCurrent(accountId: string): Promise<DataKey> {
    const row = await keystore
      .selectFrom("vault_account_data_keys")
      .select("version")
      .where("account_id", "=", accountId)
      .where("status", "=", "current")
      .executeTakeFirst();
    if (row) return { version: row.version, key: await byVersion(accountId, row.version) };
    try {
      return await create(accountId, 1);
    } catch (err) {
      // A concurrent first use created v1; read theirs.
      const again = await keystore
        .selectFrom("vault_account_data_keys")
        .select("version")
        .where("account_id", "=", accountId)
        .where("status", "=", "current")
        .executeTakeFirst();
      if (!again) throw err;
      return { version: again.version, key: await byVersion(accountId, again.version) };
    }
  }

  async function byVersion(accountId: string, version: number): Promise<Buffer> {
    const cached = cache.get(cacheId(accountId, version));
    if (cached) return cached;
    const row = await keystore
      .selectFrom("vault_account_data_keys")
      .selectAll()
      .where("account_id", "=", accountId)
      .where("version", "=", version)
      .executeTakeFirst();
    if (!row) {
      const any = await keystore
        .selectFrom("vault_account_data_keys")
        .select("version")
        .where("account_id", "=", accountId)
        .executeTakeFirst();
      throw any
        ? new AppError("KEY_VERSION_UNKNOWN", `Data key v${version} of this account does not exist.`)
        : new AppError("DATA_KEY_DESTROYED");
    }
    if (row.status === "retired" || row.wrapped === null) {
      throw new AppError("KEY_VERSION_RETIRED", `Data key v${version} of this account was retired.`);
    }
    const kek = await keyring.byVersion(keystore, row.kek_version);
    const key = await provider.decryptDataKey(
      kek,
      Buffer.from(row.wrapped, "base64"),
      dataKeyContext(accountId, version),
    );
    cache.set(cacheId(accountId, version), key);
    return key;
  }

  /** Starts a new data-key version for the account; the old one stays readable until retired. */
  async function rotate(accountId: string): Promise<{ from: number | null; to: number }> {
    const top = await keystore
      .selectFrom("vault_account_data_keys")
      .select((eb) => eb.fn.max("version").as("max"))
      .where("account_id", "=", accountId)
      .executeTakeFirst();
    const from = top?.max == null ? null : Number(top.max);
    await keystore
      .updateTable("vault_account_data_keys")
      .set({ status: "previous" })
      .where("account_id", "=", accountId)
      .where("status", "=", "current")
      .execute();
    const created = await create(accountId, (from ?? 0) + 1);
    rememberCurrent(accountId, created.version);
    return { from, to: created.version };
  }

  /** Erases one data-key version; values still sealed under it become unreadable (callers check first). */
  async function retire(accountId: string, version: number): Promise<void> {
    await keystore
      .updateTable("vault_account_data_keys")
      .set({ status: "retired", wrapped: null, retired_at: clock.now().toISOString() })
      .where("account_id", "=", accountId)
      .where("version", "=", version)
      .where("status", "=", "previous")
      .execute();
    cache.delete(cacheId(accountId, version));
  }

  /** Crypto-shredding: every version of the account's data key is deleted. Returns how many there were. */
  async function destroyAll(accountId: string): Promise<number> {
    const result = await keystore
      .deleteFrom("vault_account_data_keys")
      .where("account_id", "=", accountId)
      .executeTakeFirst();
    cache.deletePrefix(`${accountId}\u0000`);
    currentVersions.delete(accountId);
    return Number(result.numDeletedRows);
  }

  /**
   * Re-wraps data keys still under an older KEK with the current one, a batch at a time. Safe to stop at
   * any point and run again: each row moves atomically and only if nobody moved it first.
   */
  async function rewrapToCurrent(
    batchSize: number,
    onProgress: (done: number, remaining: number) => void,
  ): Promise<number> {
    const target = await keyring.current(keystore);
    let done = 0;
    for (;;) {
      const remainingRow = await keystore
        .selectFrom("vault_account_data_keys")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("kek_version", "!=", target.version)
        .where("wrapped", "is not", null)
        .executeTakeFirstOrThrow();
      const remaining = Number(remainingRow.n);
      onProgress(done, remaining);
      if (remaining === 0) return done;
      const rows = await keystore
        .selectFrom("vault_account_data_keys")
        .selectAll()
        .where("kek_version", "!=", target.version)
        .where("wrapped", "is not", null)
        .orderBy("account_id")
        .orderBy("version")
        .limit(batchSize)
        .execute();
      for (const row of rows) {
        if (row.wrapped === null) continue;
        const from = await keyring.byVersion(keystore, row.kek_version);
        const wrapped = await provider.reEncryptDataKey(
          from,
          target,
          Buffer.from(row.wrapped, "base64"),
          dataKeyContext(row.account_id, row.version),
        );
        const updated = await keystore
          .updateTable("vault_account_data_keys")
          .set({ wrapped: wrapped.toString("base64"), kek_version: target.version })
          .where("account_id", "=", row.account_id)
          .where("version", "=", row.version)
          .where("kek_version", "=", row.kek_version)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 1) done += 1;
      }
    }
  }

  async function versions(accountId: string) {
    return keystore
      .selectFrom("vault_account_data_keys")
      .select(["version", "status", "kek_version", "created_at", "retired_at"])
      .where("account_id", "=", accountId)
      .orderBy("version")
      .execute();
  }

  return { current, byVersion, rotate, retire, destroyAll, rewrapToCurrent, versions, cache };
}

export type DataKeys = ReturnType<typeof createDataKeys>;
