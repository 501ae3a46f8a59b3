import { createHash } from "node:crypto";
import { type Kysely, sql } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DataKeys } from "../crypto/data-keys.js";
import type { Database } from "../db/database.js";
import type { DB } from "../db/schema.js";
import { ACCOUNT_TABLES } from "../db/sealed-columns.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import type { SecretsStore } from "../secrets/secrets-store.js";

export interface DeletionReceipt {
  id: string;
  kind: "seller_account";
  subjectHash: string;
  requestedBy: string;
  executedAt: string;
  details: {
    dataKeyVersionsDestroyed: number;
    secretsDeleted: number;
    rowsDeleted: Record<string, number>;
  };
  receiptHash: string;
}

export interface AccountDeletionDeps {
  database: Pick<Database, "db" | "checkpoint">;
  vault: Pick<Database<unknown>, "checkpoint">;
  dataKeys: Pick<DataKeys, "destroyAll">;
  secrets: Pick<SecretsStore, "removeForAccount">;
  audit: AuditSink;
  clock: Clock;
}

export function hashSubject(kind: string, id: string): string {
  return createHash("sha256").update(`${kind}:${id}`).digest("hex");
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

async function deleteRows(db: Kysely<DB>, accountId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await db.transaction().execute(async (trx) => {
    for (const { table, accountColumn } of ACCOUNT_TABLES) {
      const result =
        await sql`DELETE FROM ${sql.table(table)} WHERE ${sql.ref(accountColumn)} = ${accountId}`.execute(
          trx,
        );
      counts[table] = Number(result.numAffectedRows ?? 0);
    }
  });
  return counts;
}

/**
 * Crypto-shredding of one seller account. Keys go first: from that moment every copy of the account's
 * sealed data — this store, its WAL, every backup — is unreadable, even if a later step is interrupted.
 * Then its secrets and rows are deleted, deletions are made final on disk, and a receipt is written.
 */
export async function deleteSellerAccount(
  deps: AccountDeletionDeps,
  accountId: string,
  actor: string,
): Promise<DeletionReceipt> {
  const { database, vault, dataKeys, secrets, audit, clock } = deps;
  const exists = await database.db
    .selectFrom("seller_accounts")
    .select("id")
    .where("id", "=", accountId)
    .executeTakeFirst();
  if (!exists) {
    await audit.record({ action: "account.delete", actor, outcome: "failure", reason: "ACCOUNT_NOT_FOUND" });
    throw new AppError("ACCOUNT_NOT_FOUND");
  }
  const dataKeyVersionsDestroyed = await dataKeys.destroyAll(accountId);
  const secretsDeleted = await secrets.removeForAccount(accountId, { actor });
  const rowsDeleted = await deleteRows(database.db, accountId);
  await vault.checkpoint();

  const body = {
    id: newId(),
    kind: "seller_account" as const,
    subjectHash: hashSubject("seller_account", accountId),
    requestedBy: actor,
    executedAt: clock.now().toISOString(),
    details: { dataKeyVersionsDestroyed, secretsDeleted, rowsDeleted },
  };
  const receipt: DeletionReceipt = {
    ...body,
    receiptHash: createHash("sha256").update(canonical(body)).digest("hex"),
  };
  await database.db
    .insertInto("deletion_receipts")
    .values({
      id: receipt.id,
      kind: receipt.kind,
      subject_hash: receipt.subjectHash,
      requested_by: actor,
      executed_at: receipt.executedAt,
      details: canonical(receipt.details),
      receipt_hash: receipt.receiptHash,
    })
    .execute();
  await database.checkpoint();
  await audit.record({
    action: "account.delete",
    actor,
    outcome: "success",
    target: { subject: receipt.subjectHash, receipt: receipt.id },
  });
  return receipt;
}
