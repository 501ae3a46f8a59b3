import { type Kysely, sql } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import { CURRENT_VERSION_TTL_MS, type DataKeys } from "../crypto/data-keys.js";
import type { FieldCipher } from "../crypto/field-cipher.js";
import type { Keyring } from "../crypto/keyring.js";
import type { KeystoreDB } from "../crypto/keystore-schema.js";
import { SEALED_FORMAT } from "../crypto/sealed-format.js";
import type { DB } from "../db/schema.js";
import { SEALED_COLUMNS, type SealedColumn } from "../db/sealed-columns.js";
import type { Clock } from "../platform/clock.js";
import type { SecretsStore } from "../secrets/secrets-store.js";

export type Progress = (phase: string, done: number, total: number | null) => void;

export interface KekRotationDeps {
  keystore: Kysely<KeystoreDB>;
  keyring: Keyring;
  dataKeys: Pick<DataKeys, "rewrapToCurrent">;
  audit: AuditSink;
  /** KEK versions something outside the keystore still needs (kept backups); never retired while listed. */
  externalReferences: () => Promise<ReadonlySet<number>>;
}

export interface KekRotationResult {
  /** True when this run finished a rotation an earlier (interrupted) run had started. */
  resumed: boolean;
  current: number;
  rewrapped: number;
  retired: number[];
  kept: number[];
}

/**
 * Creates a new KEK version and re-wraps every data key under it, online. If an earlier run stopped
 * half-way, this run finishes that rotation instead of starting another. Old versions are retired
 * (their material erased) only once no data key and no kept backup references them.
 */
export async function rotateKek(
  deps: KekRotationDeps,
  options: { batchSize: number; actor: string; onProgress: Progress },
): Promise<KekRotationResult> {
  const { keystore, keyring, dataKeys, audit } = deps;
  const before = await keyring.current(keystore);
  const stale = await keystore
    .selectFrom("vault_account_data_keys")
    .select("account_id")
    .where("kek_version", "!=", before.version)
    .where("wrapped", "is not", null)
    .executeTakeFirst();
  const resumed = stale !== undefined;
  const current = resumed ? before : await keyring.rotate(keystore);
  const rewrapped = await dataKeys.rewrapToCurrent(options.batchSize, (done, remaining) =>
    options.onProgress("re-wrapping data keys", done, done + remaining),
  );
  const external = await deps.externalReferences();
  const retired = await keyring.retireUnreferenced(keystore, external);
  const kept = (await keyring.list(keystore)).filter((k) => k.status === "previous").map((k) => k.version);
  await audit.record({
    action: "keys.rotate_kek",
    actor: options.actor,
    outcome: "success",
    target: { current: String(current.version), retired: retired.join(",") || "none" },
  });
  return { resumed, current: current.version, rewrapped, retired, kept };
}

export interface DataKeyRotationDeps {
  db: Kysely<DB>;
  dataKeys: Pick<DataKeys, "rotate" | "retire" | "versions">;
  fields: Pick<FieldCipher, "reseal">;
  secrets: Pick<SecretsStore, "resealForAccount">;
  audit: AuditSink;
  clock: Clock;
  columns?: readonly SealedColumn[];
}

export interface DataKeyRotationResult {
  resumed: boolean;
  current: number;
  resealed: number;
  retired: number[];
  /**
   * Set when old versions were re-sealed away but not yet retired: other processes may still seal with
   * the version they cached as current until then. Run again after this time to retire them.
   */
  retirePendingUntil: string | null;
}

async function resealColumn(
  deps: DataKeyRotationDeps,
  column: SealedColumn,
  accountId: string,
  current: number,
  batchSize: number,
  onBatch: (n: number) => void,
): Promise<number> {
  const currentPrefix = `${SEALED_FORMAT}:v${current}:%`;
  let total = 0;
  for (;;) {
    const { rows } = await sql<{ id: string; value: string }>`
      SELECT ${sql.ref(column.idColumn)} AS id, ${sql.ref(column.column)} AS value
      FROM ${sql.table(column.table)}
      WHERE ${sql.ref(column.accountColumn)} = ${accountId}
        AND ${sql.ref(column.column)} IS NOT NULL
        AND ${sql.ref(column.column)} NOT LIKE ${currentPrefix}
      ORDER BY ${sql.ref(column.idColumn)}
      LIMIT ${batchSize}`.execute(deps.db);
    if (rows.length === 0) return total;
    for (const row of rows) {
      const ref = { accountId, table: column.table, column: column.column, rowId: String(row.id) };
      const resealed = await deps.fields.reseal(ref, row.value);
      // Only if nobody changed the value meanwhile; a concurrent writer already used the current key.
      await sql`UPDATE ${sql.table(column.table)} SET ${sql.ref(column.column)} = ${resealed}
        WHERE ${sql.ref(column.idColumn)} = ${row.id} AND ${sql.ref(column.column)} = ${row.value}`.execute(
        deps.db,
      );
    }
    total += rows.length;
    onBatch(total);
  }
}

/**
 * Rotates one account's data key: new values use the new version at once; existing values are re-sealed
 * in batches; the old versions are retired when nothing sealed under them is left. Resumable.
 */
export async function rotateAccountDataKey(
  deps: DataKeyRotationDeps,
  accountId: string,
  options: {
    batchSize: number;
    actor: string;
    onProgress: Progress;
    /** How long other processes may keep sealing with the old version (their current-version cache). */
    graceMs?: number;
  },
): Promise<DataKeyRotationResult> {
  const versions = await deps.dataKeys.versions(accountId);
  const currentRow = versions.find((v) => v.status === "current");
  const pendingOld = versions.some((v) => v.status === "previous");
  let current: number;
  if (currentRow && pendingOld) {
    current = currentRow.version;
  } else {
    current = (await deps.dataKeys.rotate(accountId)).to;
  }
  let resealed = 0;
  for (const column of deps.columns ?? SEALED_COLUMNS) {
    resealed += await resealColumn(deps, column, accountId, current, options.batchSize, (n) =>
      options.onProgress(`re-sealing ${column.table}.${column.column}`, n, null),
    );
  }
  resealed += await deps.secrets.resealForAccount(accountId, { actor: options.actor });
  const retired: number[] = [];
  const after = await deps.dataKeys.versions(accountId);
  const since = after.find((v) => v.version === current)?.created_at;
  const safeAt = new Date(since ?? 0).getTime() + (options.graceMs ?? CURRENT_VERSION_TTL_MS);
  const retirePendingUntil =
    after.some((v) => v.status === "previous") && deps.clock.now().getTime() < safeAt
      ? new Date(safeAt).toISOString()
      : null;
  if (retirePendingUntil === null) {
    for (const v of after) {
      if (v.status !== "previous") continue;
      await deps.dataKeys.retire(accountId, v.version);
      retired.push(v.version);
    }
  }
  await deps.audit.record({
    action: "keys.rotate_data_key",
    actor: options.actor,
    outcome: "success",
    target: { account: accountId, current: String(current) },
  });
  return { resumed: Boolean(currentRow && pendingOld), current, resealed, retired, retirePendingUntil };
}
