import { afterEach, describe, expect, it } from "vitest";
import { CANARY } from "../../test/support/orders.js";
import { delivered, fbm, openRetentionRig, type RetentionRig } from "../../test/support/retention.js";
import { STORES } from "../../test/support/stores.js";
import { verifyAuditLog } from "../audit/audit-verify.js";
import { markAccountRevoked, recordAuthorization } from "../connect/connect-repo.js";
import { createUser } from "../identity/users-repo.js";
import { MS } from "../platform/clock.js";
import { getOrder, readOrderPii } from "../sync/orders-query-repo.js";
import { requestAccountDeletion } from "./account-schedule.js";
import { DATA_TYPES, RETENTION_POLICY_VERSION } from "./retention-policy.js";
import { createLegalHold, listDeletionRequests, releaseLegalHold } from "./retention-repo.js";

const open: RetentionRig[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.dispose();
});

const DELIVERED = "2026-11-10T00:00:00.000Z";
const day = (n: number, from = DELIVERED) => new Date(Date.parse(from) + n * MS.day);

for (const target of STORES) {
  describe.skipIf(target.skip)(`retention on ${target.name}`, () => {
    async function rig() {
      const r = await openRetentionRig(target.name);
      open.push(r);
      return r;
    }
    const typeOf = (status: { dataTypes: Array<{ type: string; overdue: number }> }, type: string) =>
      status.dataTypes.find((t) => t.type === type);

    it("keeps buyer data at day 29 after delivery, purges it at day 31 with a receipt, and a rerun does nothing", async () => {
      const r = await rig();
      const db = r.p.data.database.db;
      const a = await r.account("A");
      // Five orders and a batch size of 2: the purge spans several transactions.
      await r.store(
        a,
        ["1", "2", "3", "4", "5"].map((n) => delivered(`111-0000001-000000${n}`, DELIVERED)),
      );

      r.p.clock.set(day(29));
      expect(typeOf(await r.service.status(), "buyer_pii")).toMatchObject({ records: 5, overdue: 0 });
      const early = await r.service.run();
      expect(early.receipt.deleted.buyer_pii).toBe(0);
      expect((await readOrderPii(db, r.p.fields, a, "111-0000001-0000001"))?.buyerName).toContain(CANARY);

      r.p.clock.set(day(31));
      expect(typeOf(await r.service.status(), "buyer_pii")).toMatchObject({
        records: 5,
        overdue: 5,
        held: 0,
      });
      const phases: string[] = [];
      const run = await r.service.run({ onProgress: (phase) => phases.push(phase) });
      expect(phases).toContain("buyer_pii");
      expect(run.receipt.deleted.buyer_pii).toBe(5);
      expect(run.receipt.policyVersion).toBe(RETENTION_POLICY_VERSION);
      expect(run.receipt.hashedIds.buyer_pii?.count).toBe(5);
      expect(run.receipt.hashedIds.buyer_pii?.sample.every((h) => /^[0-9a-f]{64}$/.test(h))).toBe(true);
      expect(await readOrderPii(db, r.p.fields, a, "111-0000001-0000001")).toBeNull();
      expect((await getOrder(db, a, "111-0000001-0000001"))?.order).toMatchObject({
        has_buyer_data: 0,
        status: "SHIPPED",
      });
      expect(typeOf(await r.service.status(), "buyer_pii")).toMatchObject({ records: 0, overdue: 0 });

      const receipts = await r.entries("retention.receipt");
      expect(receipts).toHaveLength(2);
      expect(receipts[1]?.target).toMatchObject({
        receipt: run.receiptHash,
        buyer_pii: "5",
        policy: RETENTION_POLICY_VERSION,
        buyer_pii_ids: run.receipt.hashedIds.buyer_pii?.digest,
      });
      // No order id in the clear, in the receipt or in its audit entry.
      expect(JSON.stringify(receipts)).not.toContain("111-0000001");
      const stored = await db.selectFrom("retention_runs").selectAll().orderBy("started_at").execute();
      expect(stored.map((s) => s.status)).toEqual(["completed", "completed"]);
      expect(stored[1]?.receipt).not.toContain("111-0000001");

      const again = await r.service.run();
      expect(again.receipt.deleted.buyer_pii).toBe(0);
      expect(again.receiptHash).not.toBe(run.receiptHash);
    });

    it("stops between batches on abort, records the run as interrupted, and the next run finishes the purge", async () => {
      const r = await rig();
      const db = r.p.data.database.db;
      const a = await r.account("A");
      await r.store(
        a,
        ["1", "2", "3", "4", "5"].map((n) => delivered(`111-0000009-000000${n}`, DELIVERED)),
      );
      r.p.clock.set(day(31));
      const controller = new AbortController();
      const stop = new Error("shutting down");
      const failed = await r.service
        .run({
          signal: controller.signal,
          // The first batch (2 rows) has committed when this fires: shutdown arrives mid-purge.
          onProgress: (phase, done) => {
            if (phase === "buyer_pii" && done === 2) controller.abort(stop);
          },
        })
        .catch((e: unknown) => e);
      expect(failed).toBe(stop);
      // What was deleted stays deleted; nothing after the abort was touched.
      expect(typeOf(await r.service.status(), "buyer_pii")).toMatchObject({ records: 3, overdue: 3 });
      const runs = await db.selectFrom("retention_runs").selectAll().execute();
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ status: "interrupted" });
      expect(runs[0]?.finished_at).not.toBeNull();
      // A partial receipt accounts for the two rows the run did delete, by hashed id only.
      const partial = JSON.parse(runs[0]?.receipt ?? "{}");
      expect(partial).toMatchObject({ interrupted: true, deleted: { buyer_pii: 2, order_data: 0 } });
      expect(partial.hashedIds.buyer_pii.count).toBe(2);
      expect(runs[0]?.receipt).not.toContain("111-0000009");
      expect((await r.service.status()).lastRun?.status).toBe("interrupted");
      expect(await r.entries("retention.receipt")).toHaveLength(0);
      const [entry] = await r.entries("retention.run");
      expect(entry).toMatchObject({
        target: { status: "interrupted", buyer_pii: "2", receipt: runs[0]?.receipt_hash },
        reason: "SYNC_ABORTED",
      });

      const next = await r.service.run();
      expect(next.receipt.deleted.buyer_pii).toBe(3);
      expect(typeOf(await r.service.status(), "buyer_pii")).toMatchObject({ records: 0, overdue: 0 });
    });

    it("an abort before the account deletions leaves the due account for the next run", async () => {
      const r = await rig();
      const db = r.p.data.database.db;
      const a = await r.account("Revoked");
      const revokedAt = r.p.clock.now().toISOString();
      await markAccountRevoked(db, a, r.p.clock.now());
      await r.service.run();
      r.p.clock.set(day(91, revokedAt));
      const controller = new AbortController();
      await expect(
        r.service.run({
          signal: controller.signal,
          onProgress: (phase) => {
            if (phase === "account_and_contact_data") controller.abort(new Error("shutting down"));
          },
        }),
      ).rejects.toThrow("shutting down");
      expect((await db.selectFrom("seller_accounts").select("id").execute()).map((x) => x.id)).toEqual([a]);
      expect((await r.service.status()).lastRun?.status).toBe("interrupted");
      const next = await r.service.run();
      expect(next.receipt.deleted.account_and_contact_data).toBe(1);
      expect(await db.selectFrom("seller_accounts").select("id").execute()).toEqual([]);
    });

    it("purges buyer data of orders that never report delivery 60 days after the ship (or purchase) date", async () => {
      const r = await rig();
      const db = r.p.data.database.db;
      const a = await r.account("A");
      await r.store(a, [
        fbm("111-0000002-0000001", { latestShipDate: "2026-11-03T00:00:00.000Z" }),
        // Neither delivery nor ship date: the purchase date (2026-11-01T10:00) counts.
        fbm("111-0000002-0000002"),
      ]);
      r.p.clock.set(day(59, "2026-11-03T00:00:00.000Z"));
      expect((await r.service.run()).receipt.deleted.buyer_pii).toBe(1);
      expect(await readOrderPii(db, r.p.fields, a, "111-0000002-0000002")).toBeNull();
      expect(await readOrderPii(db, r.p.fields, a, "111-0000002-0000001")).not.toBeNull();
      r.p.clock.set(day(61, "2026-11-03T00:00:00.000Z"));
      expect((await r.service.run()).receipt.deleted.buyer_pii).toBe(1);
      expect(await readOrderPii(db, r.p.fields, a, "111-0000002-0000001")).toBeNull();
    });

    it("a legal hold keeps buyer data past its period until the hold expires or is released", async () => {
      const r = await rig();
      const db = r.p.data.database.db;
      const a = await r.account("A");
      const b = await r.account("B");
      await r.store(a, [
        delivered("111-0000003-0000001", DELIVERED),
        delivered("111-0000003-0000002", DELIVERED),
      ]);
      await r.store(b, [delivered("111-0000003-0000003", DELIVERED)]);
      const now = r.p.clock.now();
      const base = { reason: "litigation 2026-17", owner: "legal@example.com", createdBy: "t" };
      await createLegalHold(
        db,
        { ...base, accountId: a, amazonOrderId: "111-0000003-0000001", expiresAt: day(40).toISOString() },
        now,
      );
      const accountHold = await createLegalHold(
        db,
        { ...base, accountId: b, amazonOrderId: null, expiresAt: null },
        now,
      );

      r.p.clock.set(day(31));
      expect(typeOf(await r.service.status(), "buyer_pii")).toMatchObject({
        records: 3,
        overdue: 1,
        held: 2,
      });
      const run = await r.service.run();
      expect(run.receipt.deleted.buyer_pii).toBe(1);
      expect(run.receipt.held.buyerPii).toBe(2);
      expect(await readOrderPii(db, r.p.fields, a, "111-0000003-0000002")).toBeNull();
      expect((await readOrderPii(db, r.p.fields, a, "111-0000003-0000001"))?.buyerName).toContain(CANARY);
      expect((await readOrderPii(db, r.p.fields, b, "111-0000003-0000003"))?.buyerName).toContain(CANARY);

      r.p.clock.set(day(41));
      expect((await r.service.run()).receipt.deleted.buyer_pii).toBe(1);
      expect(await readOrderPii(db, r.p.fields, a, "111-0000003-0000001")).toBeNull();
      expect(await readOrderPii(db, r.p.fields, b, "111-0000003-0000003")).not.toBeNull();

      expect(await releaseLegalHold(db, b, accountHold.id, "t", r.p.clock.now())).toBe(true);
      expect((await r.service.run()).receipt.deleted.buyer_pii).toBe(1);
      expect(await readOrderPii(db, r.p.fields, b, "111-0000003-0000003")).toBeNull();
    });

    it("drops the reveal grants (sealed notes) of purged orders, keeps those of held orders", async () => {
      const r = await rig();
      const db = r.p.data.database.db;
      const a = await r.account("A");
      const b = await r.account("B");
      // The same Amazon order id under two accounts: grants are matched on (account, order).
      await r.store(a, [
        delivered("111-0000004-0000001", DELIVERED),
        delivered("111-0000004-0000002", DELIVERED),
      ]);
      await r.store(b, [delivered("111-0000004-0000001", DELIVERED)]);
      const now = r.p.clock.now();
      const base = {
        reason: "litigation 2026-18",
        owner: "legal@example.com",
        createdBy: "t",
        expiresAt: null,
      };
      await createLegalHold(db, { ...base, accountId: a, amazonOrderId: "111-0000004-0000002" }, now);
      await createLegalHold(db, { ...base, accountId: b, amazonOrderId: null }, now);
      // An order hold inside a held account: still one held record.
      await createLegalHold(db, { ...base, accountId: b, amazonOrderId: "111-0000004-0000001" }, now);
      const user = await createUser(
        db,
        { organisationId: null, email: "reveal@example.com", displayName: "Reveal" },
        now,
      );
      const grant = (id: string, account: string, order: string) => ({
        id,
        user_id: user.id,
        seller_account_id: account,
        order_id: order,
        purpose: "shipping",
        note: "sp1:v1:sealed-note",
        granted_at: now.toISOString(),
        expires_at: day(60).toISOString(),
      });
      await db
        .insertInto("pii_reveal_grants")
        .values([
          grant("g-a1", a, "111-0000004-0000001"),
          grant("g-a2", a, "111-0000004-0000002"),
          grant("g-b1", b, "111-0000004-0000001"),
        ])
        .execute();

      r.p.clock.set(day(31));
      expect(typeOf(await r.service.status(), "buyer_pii")).toMatchObject({
        records: 3,
        overdue: 1,
        held: 2,
      });
      const run = await r.service.run();
      expect(run.receipt.deleted.buyer_pii).toBe(1);
      expect(run.receipt.held.buyerPii).toBe(2);
      const left = await db.selectFrom("pii_reveal_grants").select("id").orderBy("id").execute();
      expect(left.map((g) => g.id)).toEqual(["g-a2", "g-b1"]);
    });

    it("expires non-PII order data 540 days after the order's last update", async () => {
      const r = await rig();
      const db = r.p.data.database.db;
      const a = await r.account("A");
      await r.store(a, [delivered("111-0000004-0000001", DELIVERED)]);
      r.p.clock.set(day(539));
      expect((await r.service.run()).receipt.deleted.order_data).toBe(0);
      expect(await getOrder(db, a, "111-0000004-0000001")).not.toBeNull();
      r.p.clock.set(day(541));
      expect(typeOf(await r.service.status(), "order_data")).toMatchObject({ records: 1, overdue: 1 });
      expect((await r.service.run()).receipt.deleted.order_data).toBe(1);
      expect(await getOrder(db, a, "111-0000004-0000001")).toBeNull();
    });

    it("deletes a revoked account at day 90 after reminders, by crypto-shredding, with a receipt", async () => {
      const r = await rig();
      const db = r.p.data.database.db;
      const a = await r.account("Revoked");
      const kept = await r.account("Kept");
      await r.store(a, [fbm("111-0000005-0000001")]);
      const revokedAt = r.p.clock.now().toISOString();
      expect(await markAccountRevoked(db, a, r.p.clock.now())).toBe(true);

      r.p.clock.set(day(1, revokedAt));
      await r.service.run();
      const [scheduled] = await listDeletionRequests(db, a);
      expect(scheduled).toMatchObject({ kind: "revocation", status: "scheduled", remindersSent: 0 });
      expect(scheduled?.executeAfter).toBe(day(90, revokedAt).toISOString());
      expect((await r.service.status()).scheduledDeletions).toHaveLength(1);

      r.p.clock.set(day(61, revokedAt));
      await r.service.run();
      r.p.clock.set(day(89, revokedAt));
      expect(typeOf(await r.service.status(), "account_and_contact_data")).toMatchObject({ overdue: 0 });
      await r.service.run();
      expect((await r.service.status()).scheduledDeletions[0]).toMatchObject({
        accountId: a,
        remindersSent: 3,
      });
      expect((await r.entries("retention.account_deletion.reminder")).map((e) => e.target.daysLeft)).toEqual([
        "29",
        "1",
      ]);
      expect(
        await db.selectFrom("seller_accounts").select("id").where("id", "=", a).executeTakeFirst(),
      ).toBeTruthy();

      r.p.clock.set(day(90, revokedAt));
      expect(typeOf(await r.service.status(), "account_and_contact_data")).toMatchObject({
        records: 2,
        overdue: 1,
      });
      const run = await r.service.run();
      expect(run.receipt.deleted.account_and_contact_data).toBe(1);
      expect(await db.selectFrom("seller_accounts").select("id").execute()).toEqual([{ id: kept }]);
      expect(await db.selectFrom("orders").select("id").where("account_id", "=", a).execute()).toEqual([]);
      const [done] = await listDeletionRequests(db, a);
      expect(done).toMatchObject({ status: "completed" });
      expect(done?.receiptHash).toBe(run.receipt.accountDeletions.receipts[0]);
      expect(await r.p.dataKeys.destroyAll(a)).toBe(0);
      expect(await r.entries("account.delete")).toHaveLength(1);
    });

    it("re-authorization inside the grace period cancels the deletion; a shorter grace period deletes sooner", async () => {
      const r = await rig();
      const db = r.p.data.database.db;
      const a = await r.account("Comes back");
      const b = await r.account("Short grace");
      const start = r.p.clock.now().toISOString();
      await markAccountRevoked(db, a, r.p.clock.now());
      await markAccountRevoked(db, b, r.p.clock.now());
      const service = r.withGrace(30);
      r.p.clock.set(day(10, start));
      await service.run();
      await recordAuthorization(db, a, { features: [] }, r.p.clock.now());
      r.p.clock.set(day(30, start));
      const run = await service.run();
      expect(run.receipt.accountDeletions).toMatchObject({ cancelled: 1 });
      expect(run.receipt.deleted.account_and_contact_data).toBe(1);
      expect((await listDeletionRequests(db, a))[0]).toMatchObject({ status: "cancelled" });
      r.p.clock.set(day(120, start));
      await service.run();
      expect((await db.selectFrom("seller_accounts").select("id").execute()).map((x) => x.id)).toEqual([a]);
      expect(await r.entries("retention.account_deletion.cancelled")).toHaveLength(1);
      expect(() => r.withGrace(91)).toThrow(/0-90 days/);
    });

    it("an owner's deletion request is tracked with its deadline and completed with a receipt", async () => {
      const r = await rig();
      const db = r.p.data.database.db;
      const a = await r.account("Leaving");
      const request = await requestAccountDeletion({ db, audit: r.audit }, a, "user:owner", r.p.clock.now());
      expect(request).toMatchObject({ kind: "request", status: "scheduled", requestedBy: "user:owner" });
      expect(Date.parse(request.deadline) - Date.parse(request.requestedAt)).toBe(30 * MS.day);
      await expect(
        requestAccountDeletion({ db, audit: r.audit }, a, "user:owner", r.p.clock.now()),
      ).rejects.toMatchObject({
        code: "DELETION_REQUEST_EXISTS",
      });
      expect(typeOf(await r.service.status(), "account_and_contact_data")).toMatchObject({ overdue: 1 });
      const run = await r.service.run();
      const [done] = await listDeletionRequests(db, a);
      expect(done).toMatchObject({ id: request.id, status: "completed" });
      expect(done?.receiptHash).toBe(run.receipt.accountDeletions.receipts[0]);
      expect(await db.selectFrom("seller_accounts").select("id").execute()).toEqual([]);
      expect(await r.entries("retention.deletion_request.create")).toHaveLength(1);
    });

    it("cuts whole audit segments older than the policy, never younger than 12 months, and the log still verifies", async () => {
      const r = await rig();
      for (let i = 0; i < 5; i++) {
        await r.audit.record({ action: "test.event", actor: "t", outcome: "success" });
      }
      await r.audit.flush();
      r.p.clock.set(day(300, r.p.clock.now().toISOString()));
      expect((await r.service.run()).receipt.deleted.audit_records).toBe(0);
      r.p.clock.set(day(120, r.p.clock.now().toISOString()));
      const before = typeOf(await r.service.status(), "audit_records");
      expect(before?.overdue).toBeGreaterThanOrEqual(4);
      const run = await r.service.run();
      expect(run.receipt.audit.error).toBeNull();
      expect(run.receipt.deleted.audit_records).toBe(before?.overdue);
      expect(typeOf(await r.service.status(), "audit_records")).toMatchObject({ overdue: 0 });
      await r.audit.flush();
      const check = await verifyAuditLog(r.p.data.database.db, { trustedPublicKeys: [r.signer.publicKey] });
      expect(check.valid).toBe(true);
    });

    it("status lists every data type of the policy", async () => {
      const r = await rig();
      const status = await r.service.status();
      expect(status.dataTypes.map((t) => t.type)).toEqual([...DATA_TYPES]);
      for (const t of status.dataTypes) expect(t).toMatchObject({ records: expect.any(Number), overdue: 0 });
    });
  });
}
