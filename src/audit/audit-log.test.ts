import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openTestAuditLog, type TestAuditLog } from "../../test/support/audit-log.js";
import { STORES, type StoreName } from "../../test/support/stores.js";
import { openPostgres } from "../db/database.js";
import { MS } from "../platform/clock.js";
import { entryHash, GENESIS_HASH, signatureProblem } from "./audit-chain.js";
import { exportAuditLog } from "./audit-export.js";
import type { AuditLogOptions } from "./audit-log.js";
import { verifyAuditLog } from "./audit-verify.js";

const open: Array<{ dispose(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.dispose();
});

async function setup(store: StoreName, options?: AuditLogOptions) {
  const t = await openTestAuditLog(store, options);
  open.push(t);
  return t;
}

async function entries(t: TestAuditLog) {
  return t.database.db.selectFrom("audit_entries").selectAll().orderBy("seq").execute();
}

const event = (i: number) => ({
  action: "test.event",
  actor: `user-${i % 7}`,
  outcome: "success" as const,
  target: { order: `o-${i}`, account: "acc-1" },
  requestId: `req_${i}`,
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`audit log on ${target.name}`, () => {
    it("chains 200 concurrent record() calls contiguously, in few commits, and verifies", async () => {
      const t = await setup(target.name);
      await Promise.all(Array.from({ length: 200 }, (_, i) => t.log.record(event(i))));
      const rows = await entries(t);
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(rows[0]?.prev_hash).toBe(GENESIS_HASH);
      for (const [i, r] of rows.entries()) {
        expect(r.hash).toBe(entryHash(r));
        if (i > 0) expect(r.prev_hash).toBe(rows[i - 1]?.hash);
      }
      // Group commit: callers of the same tick share one transaction.
      const stats = t.log.stats();
      expect(stats.entries).toBe(200);
      expect(stats.commits).toBeLessThanOrEqual(2);
      expect(stats.largestBatch).toBeGreaterThanOrEqual(100);
      const verified = await verifyAuditLog(t.database.db, { trustedPublicKeys: [t.signer.publicKey] });
      expect(verified).toMatchObject({ valid: true, entries: 200, firstSeq: 1, lastSeq: 200 });
    });

    it("batches callers that arrive while a commit runs, and caps a batch at maxBatch", async () => {
      const t = await setup(target.name, { maxBatch: 64 });
      const first = t.log.record(event(0));
      await Promise.resolve();
      // These arrive after the first commit started: they wait for it, then go together.
      const rest = Array.from({ length: 300 }, (_, i) => t.log.record(event(i + 1)));
      await Promise.all([first, ...rest]);
      const stats = t.log.stats();
      expect(stats.entries).toBe(301);
      expect(stats.largestBatch).toBe(64);
      expect(stats.commits).toBe(1 + Math.ceil(300 / 64));
      expect((await verifyAuditLog(t.database.db)).valid).toBe(true);
    });

    it("stores ids and outcome only, and refuses malformed events without writing", async () => {
      const t = await setup(target.name);
      await t.log.record({ action: "account.delete", actor: "u-1", outcome: "denied", reason: "FORBIDDEN" });
      const bad = [
        { action: "has space", actor: "u", outcome: "success" },
        { action: "a.b", actor: "", outcome: "success" },
        { action: "a.b", actor: "u", outcome: "maybe" },
        { action: "a.b", actor: "u\n", outcome: "success" },
        { action: "a.b", actor: "u", outcome: "success", target: { "bad key": "x" } },
        { action: "a.b", actor: "u", outcome: "success", target: { k: "x".repeat(257) } },
        { action: "a.b", actor: "u", outcome: "success", requestId: "req id" },
        { action: "a.b", actor: "u", outcome: "success", reason: "r".repeat(201) },
      ];
      for (const e of bad)
        await expect(t.log.record(e as never), JSON.stringify(e)).rejects.toMatchObject({
          code: "AUDIT_EVENT_INVALID",
        });
      const rows = await entries(t);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        seq: 1,
        action: "account.delete",
        outcome: "denied",
        target: "{}",
        reason: "FORBIDDEN",
        request_id: null,
        at: "2026-11-28T12:00:00.000Z",
      });
    });

    it("signs checkpoints every N entries and after T minutes, with the published key", async () => {
      const t = await setup(target.name, { checkpoint: { every: 10, afterMs: 5 * MS.minute } });
      for (let i = 0; i < 25; i++) await t.log.record(event(i));
      const cps = () => t.database.db.selectFrom("audit_checkpoints").selectAll().orderBy("seq").execute();
      // The first commit signs at once (nothing was signed yet), then every 10 entries.
      expect((await cps()).map((c) => c.seq)).toEqual([1, 11, 21]);
      t.clock.advance(5 * MS.minute);
      await t.log.record(event(99));
      expect((await cps()).map((c) => c.seq)).toEqual([1, 11, 21, 26]);
      for (const c of await cps()) {
        expect(c).toMatchObject({
          kind: "checkpoint",
          key_id: t.signer.keyId,
          public_key: t.signer.publicKey,
        });
        expect(signatureProblem(c, new Set([t.signer.publicKey]))).toBeNull();
        const entry = await t.database.db
          .selectFrom("audit_entries")
          .select("hash")
          .where("seq", "=", c.seq)
          .executeTakeFirstOrThrow();
        expect(c.head_hash).toBe(entry.hash);
      }
      await t.log.record(event(100));
      await t.log.close();
      expect((await cps()).at(-1)?.seq).toBe(27); // sealed on close
      await expect(t.log.record(event(101))).rejects.toMatchObject({ code: "AUDIT_LOG_CLOSED" });
    });

    it("close() waits for pending appends", async () => {
      const t = await setup(target.name);
      const pending = Array.from({ length: 50 }, (_, i) => t.log.record(event(i)));
      await t.log.close();
      expect(await entries(t)).toHaveLength(50);
      await Promise.all(pending);
    });

    it("triggers refuse UPDATE and DELETE of entries and checkpoints", async () => {
      const t = await setup(target.name);
      for (let i = 0; i < 3; i++) await t.log.record(event(i));
      const { db } = t.database;
      const attempts = [
        () => db.updateTable("audit_entries").set({ actor: "someone-else" }).where("seq", "=", 2).execute(),
        () => db.deleteFrom("audit_entries").where("seq", "=", 3).execute(),
        () => db.deleteFrom("audit_entries").execute(),
        () =>
          db
            .updateTable("audit_checkpoints")
            .set({ head_hash: "0".repeat(64) })
            .execute(),
        () => db.deleteFrom("audit_checkpoints").execute(),
        ...(target.name === "postgres"
          ? [() => sql`TRUNCATE audit_entries`.execute(db), () => sql`TRUNCATE audit_checkpoints`.execute(db)]
          : []),
      ];
      for (const attempt of attempts) await expect(attempt()).rejects.toThrow(/audit log/);
      expect(await entries(t)).toHaveLength(3);
      expect((await verifyAuditLog(db)).valid).toBe(true);
    });

    it("exports JSONL since a time, streamed page by page", async () => {
      const t = await setup(target.name);
      for (let i = 0; i < 30; i++) {
        await t.log.record(event(i));
        t.clock.advance(MS.hour);
      }
      const since = new Date("2026-11-29T00:00:00.000Z"); // 12 hours in: entries 13..30
      const chunks: string[] = [];
      for await (const chunk of exportAuditLog(t.database.db, since, { pageSize: 5 })) chunks.push(chunk);
      expect(chunks.length).toBe(4); // 18 entries in pages of 5
      const lines = chunks
        .join("")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 18 }, (_, i) => i + 13));
      expect(lines.every((l) => l.at >= since.toISOString())).toBe(true);
      expect(lines[0]).toMatchObject({
        action: "test.event",
        target: { order: "o-12", account: "acc-1" },
        requestId: "req_12",
      });
      expect(lines[1].prevHash).toBe(lines[0].hash);
      const none: string[] = [];
      for await (const c of exportAuditLog(t.database.db, new Date("2027-01-01T00:00:00Z"))) none.push(c);
      expect(none).toEqual([]);
    });
  });
}

describe.skipIf(STORES.find((s) => s.name === "postgres")?.skip ?? true)("audit log across processes", () => {
  it("two writers on separate PostgreSQL pools keep one contiguous chain (advisory lock)", async () => {
    const t = await setup("postgres");
    const other = await openPostgres(t.store.location, 4);
    open.push({ dispose: () => other.close() });
    const second = t.another({}, other);
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 150; i++) {
      calls.push(t.log.record(event(i)));
      calls.push(second.record(event(1000 + i)));
      if (i % 10 === 0) await Promise.resolve();
    }
    await Promise.all(calls);
    const rows = await entries(t);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(await verifyAuditLog(t.database.db)).toMatchObject({ valid: true, entries: 300 });
  });
});
