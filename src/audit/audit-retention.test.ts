import { afterEach, describe, expect, it } from "vitest";
import { openTestAuditLog, type TestAuditLog, withoutAuditTriggers } from "../../test/support/audit-log.js";
import { STORES, type StoreName } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { exportAuditLog } from "./audit-export.js";
import { type CheckpointPolicy, DEFAULT_CHECKPOINT_POLICY } from "./audit-log.js";
import { earliestAllowedCutoff, runAuditRetention } from "./audit-retention.js";
import { verifyAuditLog } from "./audit-verify.js";

const open: TestAuditLog[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.dispose();
});

const policy: CheckpointPolicy = { every: 10, afterMs: DEFAULT_CHECKPOINT_POLICY.afterMs };

/** 25 entries in January 2025, 10 in June 2025, 5 now (late November 2026). */
async function aged(store: StoreName): Promise<TestAuditLog> {
  const t = await openTestAuditLog(store, { checkpoint: policy });
  open.push(t);
  const write = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await t.log.record({ action: "test.event", actor: "u-1", outcome: "success" });
      t.clock.advance(MS.second);
    }
  };
  t.clock.set("2025-01-10T00:00:00.000Z");
  await write(25);
  t.clock.set("2025-06-10T00:00:00.000Z");
  await write(10);
  t.clock.set("2026-11-28T12:00:00.000Z");
  await write(5);
  return t;
}

const deps = (t: TestAuditLog) => ({
  database: t.database,
  clock: t.clock,
  signer: t.signer,
  checkpointPolicy: policy,
});
const verify = (t: TestAuditLog) =>
  verifyAuditLog(t.database.db, { trustedPublicKeys: [t.signer.publicKey] });

for (const target of STORES) {
  describe.skipIf(target.skip)(`audit retention on ${target.name}`, () => {
    it("refuses a cutoff less than 12 months back, and changes nothing", async () => {
      const t = await aged(target.name);
      const tooRecent = new Date(earliestAllowedCutoff(t.clock.now()).getTime() + 1);
      await expect(runAuditRetention(deps(t), { cutoff: tooRecent, actor: "ops" })).rejects.toMatchObject({
        code: "AUDIT_RETENTION_TOO_SHORT",
      });
      await expect(
        runAuditRetention(deps(t), { cutoff: new Date("nonsense"), actor: "ops" }),
      ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
      expect(await verify(t)).toMatchObject({ valid: true, entries: 40 });
    });

    it("deletes whole old segments under a signed anchor; the rest still verifies", async () => {
      const t = await aged(target.name);
      const checkpoints = await t.database.db
        .selectFrom("audit_checkpoints")
        .select("seq")
        .orderBy("seq")
        .execute();
      // Entries 36.. are young; the last checkpoint below 36 bounds the deletable segments.
      const boundary = Math.max(...checkpoints.map((c) => c.seq).filter((s) => s < 36));
      // Checkpoints: 1, 11, 21 (every 10), 26 (June: the last one was months old), 36 (likewise, now).
      expect(checkpoints.map((c) => c.seq)).toEqual([1, 11, 21, 26, 36]);
      expect(boundary).toBe(26);
      const cutoff = earliestAllowedCutoff(t.clock.now());
      const result = await runAuditRetention(deps(t), { cutoff, actor: "ops" });
      expect(result).toEqual({
        cutoff: cutoff.toISOString(),
        throughSeq: boundary,
        entriesDeleted: boundary,
        checkpointsDeleted: checkpoints.filter((c) => c.seq <= boundary).length,
      });
      const left = await t.database.db.selectFrom("audit_entries").selectAll().orderBy("seq").execute();
      expect(left[0]?.seq).toBe(boundary + 1);
      // Whole segments only: entries older than the cutoff remain past the boundary.
      expect(left.filter((e) => e.at < cutoff.toISOString()).length).toBe(35 - boundary);
      const own = left.at(-1);
      expect(own).toMatchObject({ seq: 41, action: "audit.retention", actor: "ops" });
      expect(JSON.parse(own?.target ?? "{}")).toMatchObject({
        through: String(boundary),
        entries: String(boundary),
      });
      expect(await verify(t)).toMatchObject({ valid: true, firstSeq: boundary + 1, lastSeq: 41, anchors: 1 });

      // Appends continue the chain; a second run finds nothing more to cut.
      await t.log.record({ action: "test.after", actor: "u-2", outcome: "success" });
      const again = await runAuditRetention(deps(t), { cutoff, actor: "ops" });
      expect(again).toMatchObject({ throughSeq: null, entriesDeleted: 0 });
      expect(await verify(t)).toMatchObject({ valid: true, lastSeq: 43 });
      // Export still streams what is left.
      const chunks: string[] = [];
      for await (const c of exportAuditLog(t.database.db, new Date(0))) chunks.push(c);
      expect(chunks.join("").trimEnd().split("\n")).toHaveLength(43 - boundary);
    });

    it("the anchor only opens what it covers: later entries stay undeletable", async () => {
      const t = await aged(target.name);
      const { throughSeq } = await runAuditRetention(deps(t), {
        cutoff: earliestAllowedCutoff(t.clock.now()),
        actor: "ops",
      });
      const first = (throughSeq ?? 0) + 1;
      await expect(
        t.database.db.deleteFrom("audit_entries").where("seq", "=", first).execute(),
      ).rejects.toThrow(/audit log/);
      await expect(
        t.database.db.deleteFrom("audit_checkpoints").where("kind", "=", "anchor").execute(),
      ).rejects.toThrow(/audit log/);
      // With the triggers out of the way, cutting beyond the anchor is still caught by verify.
      await withoutAuditTriggers(t.database, async () => {
        await t.database.db.deleteFrom("audit_entries").where("seq", "=", first).execute();
      });
      expect(await verify(t)).toMatchObject({ valid: false, problem: { kind: "deleted", seq: first } });
    });

    it("deletes nothing from a log that does not verify", async () => {
      const t = await aged(target.name);
      await withoutAuditTriggers(t.database, async () => {
        await t.database.db
          .updateTable("audit_entries")
          .set({ actor: "mallory" })
          .where("seq", "=", 3)
          .execute();
      });
      const cutoff = earliestAllowedCutoff(t.clock.now());
      await expect(runAuditRetention(deps(t), { cutoff, actor: "ops" })).rejects.toMatchObject({
        code: "AUDIT_CHAIN_INVALID",
      });
      expect(await t.database.db.selectFrom("audit_entries").select("seq").execute()).toHaveLength(40);
    });

    it("a forged anchor does not verify", async () => {
      const t = await aged(target.name);
      const { db } = t.database;
      const cp = await db
        .selectFrom("audit_checkpoints")
        .selectAll()
        .where("kind", "=", "checkpoint")
        .orderBy("seq")
        .limit(1)
        .offset(1)
        .executeTakeFirstOrThrow();
      // An attacker copies a checkpoint's signature onto an anchor row and cuts below it.
      await db
        .insertInto("audit_checkpoints")
        .values({ ...cp, kind: "anchor" })
        .execute();
      await db.deleteFrom("audit_entries").where("seq", "<=", cp.seq).execute();
      expect(await verify(t)).toMatchObject({
        valid: false,
        problem: { kind: "bad_signature", seq: cp.seq },
      });
    });
  });
}
