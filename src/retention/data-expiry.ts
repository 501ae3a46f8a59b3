import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { type Holds, IdLedger } from "./buyer-pii-purge.js";
import { daysBefore, NON_PII_DAYS } from "./retention-policy.js";

/**
 * Non-PII Amazon data past its policy (NON_PII_DAYS after it stopped being refreshed): orders (with their
 * items), inventory, prices, financial events. Accounts under a legal hold keep theirs; a held order keeps
 * its row. Deleted in small batches like the buyer data.
 */
export type ExpiringType = "order_data" | "inventory_data" | "pricing_data" | "financial_data";

export interface ExpiryCounts {
  records: number;
  overdue: number;
  held: number;
}

const notIn = (set: ReadonlySet<string>) => [...set];

/**
 * Counts rows, rows past the cutoff, and those of them a hold keeps: in the whole store (`accountId` null,
 * what a retention run sees) or in one seller account (its retention page).
 */
export async function countExpiring(
  db: Kysely<DB>,
  type: ExpiringType,
  at: Date,
  holds: Holds,
  accountId: string | null,
): Promise<ExpiryCounts> {
  const cutoff = daysBefore(at, NON_PII_DAYS);
  const count = async (q: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }) =>
    Number((await q.executeTakeFirstOrThrow()).n);
  const held = notIn(holds.accounts);
  // One account's rows, or the whole store's.
  const own = accountId !== null;
  const account = accountId ?? "";
  switch (type) {
    case "order_data": {
      const records = await count(
        db
          .selectFrom("orders")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .$if(own, (q) => q.where("account_id", "=", account)),
      );
      const rows = await db
        .selectFrom("orders")
        .select(["id", "account_id"])
        .where("last_updated_at", "<", cutoff)
        .$if(own, (q) => q.where("account_id", "=", account))
        .execute();
      const kept = rows.filter((r) => holds.accounts.has(r.account_id) || holds.orders.has(r.id)).length;
      return { records, overdue: rows.length - kept, held: kept };
    }
    case "inventory_data":
    case "pricing_data":
    case "financial_data": {
      const table =
        type === "inventory_data"
          ? "inventory_summaries"
          : type === "pricing_data"
            ? "prices"
            : "financial_events";
      const column = type === "financial_data" ? "posted_date" : "synced_at";
      const records = await count(
        db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .$if(own, (q) => q.where("account_id", "=", account)),
      );
      const due = await count(
        db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where(column, "<", cutoff)
          .$if(own, (q) => q.where("account_id", "=", account)),
      );
      const kept =
        held.length === 0
          ? 0
          : await count(
              db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll<number>().as("n"))
                .where(column, "<", cutoff)
                .where("account_id", "in", held)
                .$if(own, (q) => q.where("account_id", "=", account)),
            );
      return { records, overdue: due - kept, held: kept };
    }
  }
}

/**
 * Deletes batch after batch until nothing due is left (each batch its own statement, no long lock). An abort
 * ends it between batches; what is deleted stays deleted and the next run picks up the rest.
 */
async function drain(
  next: () => Promise<number>,
  options: { onBatch?: ((n: number) => void) | undefined; signal?: AbortSignal | undefined },
): Promise<{ deleted: number; stopped: boolean }> {
  let deleted = 0;
  for (;;) {
    if (options.signal?.aborted) return { deleted, stopped: true };
    const n = await next();
    if (n === 0) return { deleted, stopped: false };
    deleted += n;
    options.onBatch?.(deleted);
  }
}

export interface ExpiryResult {
  deleted: number;
  ids: IdLedger | null;
  /** Ended by the signal before everything due was deleted. */
  stopped: boolean;
}

export async function expireData(
  db: Kysely<DB>,
  type: ExpiringType,
  options: {
    at: Date;
    holds: Holds;
    batchSize: number;
    onBatch?: (n: number) => void;
    signal?: AbortSignal | undefined;
  },
): Promise<ExpiryResult> {
  const cutoff = daysBefore(options.at, NON_PII_DAYS);
  const held = notIn(options.holds.accounts);
  const heldOrders = notIn(options.holds.orders);
  const limit = options.batchSize;
  if (type === "order_data") {
    const ids = new IdLedger("orders");
    const { deleted, stopped } = await drain(async () => {
      let q = db.selectFrom("orders").select("id").where("last_updated_at", "<", cutoff);
      if (held.length > 0) q = q.where("account_id", "not in", held);
      if (heldOrders.length > 0) q = q.where("id", "not in", heldOrders);
      const batch = (await q.orderBy("id").limit(limit).execute()).map((r) => r.id);
      if (batch.length === 0) return 0;
      // Items and any buyer data left go with the order (ON DELETE CASCADE).
      await db.deleteFrom("orders").where("id", "in", batch).execute();
      for (const id of batch) ids.add(id);
      return batch.length;
    }, options);
    return { deleted, ids, stopped };
  }
  if (type === "financial_data") {
    const { deleted, stopped } = await drain(async () => {
      let q = db
        .selectFrom("financial_events")
        .select(["account_id", "event_key"])
        .where("posted_date", "<", cutoff);
      if (held.length > 0) q = q.where("account_id", "not in", held);
      const batch = await q.orderBy("account_id").orderBy("event_key").limit(limit).execute();
      if (batch.length === 0) return 0;
      await db
        .deleteFrom("financial_events")
        .where((eb) =>
          eb.or(
            batch.map((k) =>
              eb.and([eb("account_id", "=", k.account_id), eb("event_key", "=", k.event_key)]),
            ),
          ),
        )
        .execute();
      return batch.length;
    }, options);
    return { deleted, ids: null, stopped };
  }
  const table = type === "inventory_data" ? "inventory_summaries" : "prices";
  const { deleted, stopped } = await drain(async () => {
    if (table === "inventory_summaries") {
      let q = db
        .selectFrom("inventory_summaries")
        .select(["account_id", "marketplace", "sku"])
        .where("synced_at", "<", cutoff);
      if (held.length > 0) q = q.where("account_id", "not in", held);
      const batch = await q
        .orderBy("account_id")
        .orderBy("marketplace")
        .orderBy("sku")
        .limit(limit)
        .execute();
      if (batch.length === 0) return 0;
      await db
        .deleteFrom("inventory_summaries")
        .where((eb) =>
          eb.or(
            batch.map((k) =>
              eb.and([
                eb("account_id", "=", k.account_id),
                eb("marketplace", "=", k.marketplace),
                eb("sku", "=", k.sku),
              ]),
            ),
          ),
        )
        .execute();
      return batch.length;
    }
    let q = db
      .selectFrom("prices")
      .select(["account_id", "marketplace", "asin"])
      .where("synced_at", "<", cutoff);
    if (held.length > 0) q = q.where("account_id", "not in", held);
    const batch = await q.orderBy("account_id").orderBy("marketplace").orderBy("asin").limit(limit).execute();
    if (batch.length === 0) return 0;
    await db
      .deleteFrom("prices")
      .where((eb) =>
        eb.or(
          batch.map((k) =>
            eb.and([
              eb("account_id", "=", k.account_id),
              eb("marketplace", "=", k.marketplace),
              eb("asin", "=", k.asin),
            ]),
          ),
        ),
      )
      .execute();
    return batch.length;
  }, options);
  return { deleted, ids: null, stopped };
}

/**
 * Audit entries retention may delete at `cutoff`: those up to the last signed checkpoint before the first
 * entry younger than the cutoff (the same boundary runAuditRetention cuts at; it deletes whole segments).
 */
export async function countAudit(
  db: Kysely<DB>,
  cutoff: string,
): Promise<{ records: number; overdue: number }> {
  const { n } = await db
    .selectFrom("audit_entries")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  const young = await db
    .selectFrom("audit_entries")
    .select((eb) => eb.fn.min("seq").as("seq"))
    .where("at", ">=", cutoff)
    .executeTakeFirst();
  let q = db
    .selectFrom("audit_checkpoints")
    .select("seq")
    .where("kind", "=", "checkpoint")
    .orderBy("seq", "desc")
    .limit(1);
  if (young?.seq !== null && young?.seq !== undefined) q = q.where("seq", "<", Number(young.seq));
  const boundary = await q.executeTakeFirst();
  if (!boundary) return { records: Number(n), overdue: 0 };
  const { m } = await db
    .selectFrom("audit_entries")
    .select((eb) => eb.fn.countAll<number>().as("m"))
    .where("seq", "<=", boundary.seq)
    .executeTakeFirstOrThrow();
  return { records: Number(n), overdue: Number(m) };
}
