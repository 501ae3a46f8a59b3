import { afterEach, describe, expect, it } from "vitest";
import { openTestAuditLog, type TestAuditLog } from "../../test/support/audit-log.js";
import { STORES, type StoreName } from "../../test/support/stores.js";
import { entryHash, GENESIS_HASH } from "./audit-chain.js";
import type { AuditLogOptions } from "./audit-log.js";
import { verifyAuditLog } from "./audit-verify.js";

const open: TestAuditLog[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.dispose();
});

async function setup(store: StoreName, options: AuditLogOptions) {
  const t = await openTestAuditLog(store, options);
  open.push(t);
  return t;
}

const event = (i: number) => ({
  action: "team.members.read",
  actor: `token:t-${i % 5}`,
  outcome: "success" as const,
  target: { account: "acc-1", rows: "50" },
  requestId: `req_${i}`,
});

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Rows in seq order, checked link by link. */
async function chain(t: TestAuditLog) {
  const rows = await t.database.db.selectFrom("audit_entries").selectAll().orderBy("seq").execute();
  for (const [i, r] of rows.entries()) {
    expect(r.seq).toBe(i + 1);
    expect(r.hash).toBe(entryHash(r));
    expect(r.prev_hash).toBe(i === 0 ? GENESIS_HASH : rows[i - 1]?.hash);
  }
  return rows;
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`audit group commit (window) on ${target.name}`, () => {
    it("shares commits among events of several event-loop turns, in record() order, and verifies", async () => {
      const t = await setup(target.name, { groupWindowMs: 5 });
      const pending: Promise<void>[] = [];
      // Requests of a busy server: a few per turn, turn after turn, none awaiting the others.
      for (let turn = 0; turn < 30; turn++) {
        for (let k = 0; k < 10; k++) pending.push(t.log.record(event(turn * 10 + k)));
        await nextTurn();
      }
      await Promise.all(pending);
      const rows = await chain(t);
      expect(rows.map((r) => r.request_id)).toEqual(Array.from({ length: 300 }, (_, i) => `req_${i}`));
      const stats = t.log.stats();
      expect(stats.entries).toBe(300);
      // Group commit across turns: with one commit per turn there would be 30.
      expect(stats.largestBatch).toBeGreaterThan(10);
      expect(stats.commits).toBeLessThan(30);
      const verified = await verifyAuditLog(t.database.db, { trustedPublicKeys: [t.signer.publicKey] });
      expect(verified).toMatchObject({ valid: true, entries: 300, firstSeq: 1, lastSeq: 300 });
    });

    it("resolves record() only once the entry is committed", async () => {
      const t = await setup(target.name, { groupWindowMs: 5 });
      let done = false;
      const recorded = t.log.record(event(0)).then(() => {
        done = true;
      });
      // Still inside the window: nothing written, the caller still waiting.
      expect(await t.database.db.selectFrom("audit_entries").selectAll().execute()).toEqual([]);
      expect(done).toBe(false);
      await recorded;
      expect(await t.database.db.selectFrom("audit_entries").select("request_id").execute()).toEqual([
        { request_id: "req_0" },
      ]);
    });

    it("close() commits the entries still in the window without waiting it out, then refuses more", async () => {
      // A window far longer than the test's timeout: only close() cutting it short lets this pass.
      const t = await setup(target.name, { groupWindowMs: 600_000 });
      const pending = Array.from({ length: 50 }, (_, i) => t.log.record(event(i)));
      await t.log.close();
      await Promise.all(pending);
      expect((await chain(t)).map((r) => r.request_id)).toEqual(
        Array.from({ length: 50 }, (_, i) => `req_${i}`),
      );
      await expect(t.log.record(event(50))).rejects.toMatchObject({ code: "AUDIT_LOG_CLOSED" });
      const verified = await verifyAuditLog(t.database.db, { trustedPublicKeys: [t.signer.publicKey] });
      // close() also seals: the last entry is covered by a signed checkpoint.
      expect(verified).toMatchObject({ valid: true, entries: 50, lastSeq: 50 });
      const checkpoint = await t.database.db
        .selectFrom("audit_checkpoints")
        .select("seq")
        .where("kind", "=", "checkpoint")
        .orderBy("seq", "desc")
        .executeTakeFirst();
      expect(checkpoint?.seq).toBe(50);
    }, 20_000);

    it("flush() cuts the window short too", async () => {
      const t = await setup(target.name, { groupWindowMs: 600_000 });
      const pending = [t.log.record(event(0)), t.log.record(event(1))];
      await t.log.flush();
      await Promise.all(pending);
      expect(await chain(t)).toHaveLength(2);
    }, 20_000);

    it("two windowed writers on one store still form one verifiable chain", async () => {
      const t = await setup(target.name, { groupWindowMs: 3 });
      const other = t.another({ groupWindowMs: 3 });
      const pending: Promise<void>[] = [];
      for (let turn = 0; turn < 10; turn++) {
        for (let k = 0; k < 10; k++) {
          const i = turn * 10 + k;
          pending.push((i % 2 === 0 ? t.log : other).record(event(i)));
        }
        await nextTurn();
      }
      await Promise.all(pending);
      const rows = await chain(t);
      expect(rows).toHaveLength(100);
      // Each writer's own entries keep their record() order.
      const own = rows.map((r) => Number(r.request_id?.slice(4))).filter((i) => i % 2 === 0);
      expect(own).toEqual([...own].sort((a, b) => a - b));
      expect((await verifyAuditLog(t.database.db)).valid).toBe(true);
    });
  });
}
