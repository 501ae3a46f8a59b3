import type { Kysely } from "kysely";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import type { KekRecord, KeyProvider, ProviderKind } from "./key-provider.js";
import type { KekVersionsTable, KeystoreDB } from "./keystore-schema.js";

function toRecord(row: Pick<KekVersionsTable, "version" | "provider" | "key_ref" | "material">): KekRecord {
  return {
    version: row.version,
    provider: row.provider as ProviderKind,
    keyRef: row.key_ref,
    material: row.material,
  };
}

export interface KekInfo {
  version: number;
  provider: string;
  status: KekVersionsTable["status"];
  createdAt: string;
  retiredAt: string | null;
}

/** Versioned key-encryption keys. Exactly one version is current; retired versions have no material left. */
export function createKeyring(deps: { provider: KeyProvider; clock: Clock }) {
  const { provider, clock } = deps;

  async function insertVersion(db: Kysely<KeystoreDB>, version: number): Promise<void> {
    const created = await provider.createKek(version);
    await db
      .insertInto("vault_kek_versions")
      .values({
        version,
        provider: provider.kind,
        key_ref: created.keyRef,
        material: created.material,
        status: "current",
        created_at: clock.now().toISOString(),
        retired_at: null,
      })
      .execute();
  }

  async function current(db: Kysely<KeystoreDB>): Promise<KekRecord> {
    const row = await db
      .selectFrom("vault_kek_versions")
      .selectAll()
      .where("status", "=", "current")
      .orderBy("version", "desc")
      .executeTakeFirst();
    if (row) return toRecord(row);
    try {
      await insertVersion(db, 1);
    } catch {
      // Another process created v1 first; theirs is as good as ours.
    }
    const created = await db
      .selectFrom("vault_kek_versions")
      .selectAll()
      .where("status", "=", "current")
      .orderBy("version", "desc")
      .executeTakeFirstOrThrow();
    return toRecord(created);
  }

  async function byVersion(db: Kysely<KeystoreDB>, version: number): Promise<KekRecord> {
    const row = await db
      .selectFrom("vault_kek_versions")
      .selectAll()
      .where("version", "=", version)
      .executeTakeFirst();
    if (!row) throw new AppError("KEY_VERSION_UNKNOWN", `KEK v${version} does not exist.`);
    if (row.status === "retired" || (row.material === null && row.provider === "local")) {
      throw new AppError("KEY_VERSION_RETIRED", `KEK v${version} was retired.`);
    }
    return toRecord(row);
  }

  /** Adds a new current version; the old current becomes "previous" until nothing references it. */
  async function rotate(db: Kysely<KeystoreDB>): Promise<KekRecord> {
    await current(db);
    const top = await db
      .selectFrom("vault_kek_versions")
      .select((eb) => eb.fn.max("version").as("max"))
      .executeTakeFirstOrThrow();
    const next = Number(top.max ?? 0) + 1;
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("vault_kek_versions")
        .set({ status: "previous" })
        .where("status", "=", "current")
        .execute();
      await insertVersion(trx, next);
    });
    return byVersion(db, next);
  }

  /**
   * Retires every previous version no data key and no listed external holder (e.g. a kept backup) still
   * needs: its material is erased, so it can never unwrap anything again.
   */
  async function retireUnreferenced(
    db: Kysely<KeystoreDB>,
    externalRefs: ReadonlySet<number>,
  ): Promise<number[]> {
    const candidates = await db
      .selectFrom("vault_kek_versions")
      .select("version")
      .where("status", "=", "previous")
      .execute();
    const retired: number[] = [];
    for (const { version } of candidates) {
      if (externalRefs.has(version)) continue;
      const used = await db
        .selectFrom("vault_account_data_keys")
        .select("account_id")
        .where("kek_version", "=", version)
        .where("status", "!=", "retired")
        .executeTakeFirst();
      if (used) continue;
      await db
        .updateTable("vault_kek_versions")
        .set({ status: "retired", material: null, retired_at: clock.now().toISOString() })
        .where("version", "=", version)
        .where("status", "=", "previous")
        .execute();
      retired.push(version);
    }
    return retired;
  }

  async function list(db: Kysely<KeystoreDB>): Promise<KekInfo[]> {
    const rows = await db.selectFrom("vault_kek_versions").selectAll().orderBy("version").execute();
    return rows.map((r) => ({
      version: r.version,
      provider: r.provider,
      status: r.status,
      createdAt: r.created_at,
      retiredAt: r.retired_at,
    }));
  }

  return { current, byVersion, rotate, retireUnreferenced, list };
}

export type Keyring = ReturnType<typeof createKeyring>;
