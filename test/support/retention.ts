import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { createSellerAccount } from "../../src/accounts/accounts-repo.js";
import { type AuditSigner, auditSigner } from "../../src/audit/audit-chain.js";
import { type AuditLog, createAuditLog } from "../../src/audit/audit-log.js";
import type { FieldCipher } from "../../src/crypto/field-cipher.js";
import { masterKeyFromBytes } from "../../src/crypto/master-key.js";
import type { DB } from "../../src/db/schema.js";
import { createRetentionService, type RetentionService } from "../../src/retention/retention-service.js";
import type { NormalizedOrder } from "../../src/sync/order-model.js";
import { upsertOrders } from "../../src/sync/orders-repo.js";
import { item, order, pii } from "./orders.js";
import { openTestProtection, type TestProtection } from "./protection.js";
import type { StoreName } from "./stores.js";

export interface RetentionRig {
  p: TestProtection;
  /** The hash-chained audit log on the data store (what the receipt is written to). */
  audit: AuditLog;
  signer: AuditSigner;
  service: RetentionService;
  withGrace(days: number): RetentionService;
  account(name: string): Promise<string>;
  store(accountId: string, orders: NormalizedOrder[]): Promise<void>;
  /** Audit entries of one action, after flushing the log. */
  entries(
    action: string,
  ): Promise<Array<{ actor: string; target: Record<string, string>; reason: string | null }>>;
  dispose(): Promise<void>;
}

/** An FBM order with buyer data, delivered at `deliveredAt` (or undelivered when null). */
export function fbm(amazonOrderId: string, overrides: Partial<NormalizedOrder> = {}): NormalizedOrder {
  return order({
    amazonOrderId,
    source: "api",
    items: [item({ itemKey: "9001", orderItemId: "9001" })],
    pii: pii(),
    ...overrides,
  });
}

export function delivered(amazonOrderId: string, at: string, extra: Partial<NormalizedOrder> = {}) {
  return fbm(amazonOrderId, { status: "SHIPPED", lastUpdatedAt: at, deliveredAt: at, ...extra });
}

/** Stores FBM orders (with their sealed buyer data) the way the sync does, for tests outside src/sync. */
export async function storeOrders(
  db: Kysely<DB>,
  fields: FieldCipher,
  accountId: string,
  orders: NormalizedOrder[],
  now: Date,
): Promise<void> {
  await upsertOrders(db, fields, accountId, orders, { now, shippingEnabled: true });
}

/** The real key hierarchy, the hash-chained audit log and the retention service on one kind of store. */
export async function openRetentionRig(
  store: StoreName,
  options: { batchSize?: number } = {},
): Promise<RetentionRig> {
  const p = await openTestProtection(store);
  const signer = auditSigner(masterKeyFromBytes(randomBytes(32)));
  // A signed checkpoint every two entries, so audit retention has whole segments to cut.
  const audit = createAuditLog(
    { database: p.data.database, clock: p.clock, signer },
    { checkpoint: { every: 2 } },
  );
  const make = (graceDays?: number) =>
    createRetentionService({
      database: p.data.database,
      vault: p.vault.database,
      dataKeys: p.dataKeys,
      secrets: p.secrets,
      audit,
      clock: p.clock,
      signer,
      batchSize: options.batchSize ?? 2,
      ...(graceDays === undefined ? {} : { accountGraceDays: graceDays }),
    });
  return {
    p,
    audit,
    signer,
    service: make(),
    withGrace: (days) => make(days),
    async account(name) {
      return (await createSellerAccount(p.data.database.db, p.fields, { name, region: "na" }, p.clock.now()))
        .id;
    },
    async store(accountId, orders) {
      await upsertOrders(p.data.database.db, p.fields, accountId, orders, {
        now: p.clock.now(),
        shippingEnabled: true,
      });
    },
    async entries(action) {
      await audit.flush();
      const rows = await p.data.database.db
        .selectFrom("audit_entries")
        .select(["actor", "target", "reason"])
        .where("action", "=", action)
        .orderBy("seq")
        .execute();
      return rows.map((r) => ({ actor: r.actor, target: JSON.parse(r.target), reason: r.reason }));
    },
    async dispose() {
      await audit.close();
      await p.dispose();
    },
  };
}
