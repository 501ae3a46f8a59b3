import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openTestAuditLog, type TestAuditLog, withoutAuditTriggers } from "../../test/support/audit-log.js";
import { STORES, type StoreName } from "../../test/support/stores.js";
import { masterKeyFromBytes } from "../crypto/master-key.js";
import { auditSigner, entryHash } from "./audit-chain.js";
import type { AuditEntryRow } from "./audit-repo.js";
import { verifyAuditLog } from "./audit-verify.js";

const open: TestAuditLog[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.dispose();
});

/**
 * 30 entries, each its own commit, checkpoint every 10: signed checkpoints at 1, 11 and 21 (the first commit
 * signs at once); 22..30 are protected by the chain alone.
 */
async function thirty(store: StoreName): Promise<TestAuditLog> {
  const t = await openTestAuditLog(store, { checkpoint: { every: 10, afterMs: 24 * 3_600_000 } });
  open.push(t);
  for (let i = 1; i <= 30; i++)
    await t.log.record({
      action: "test.event",
      actor: `u-${i}`,
      outcome: "success",
      target: { n: String(i) },
    });
  return t;
}

const verify = (t: TestAuditLog) =>
  verifyAuditLog(t.database.db, { trustedPublicKeys: [t.signer.publicKey] });

async function rows(t: TestAuditLog): Promise<AuditEntryRow[]> {
  return t.database.db.selectFrom("audit_entries").selectAll().orderBy("seq").execute();
}

/** Moves entries with seq >= from by delta (through negative seqs, so the primary key never collides). */
async function shift(t: TestAuditLog, from: number, delta: number): Promise<void> {
  const { db } = t.database;
  await sql`UPDATE audit_entries SET seq = -seq WHERE seq >= ${from}`.execute(db);
  await sql`UPDATE audit_entries SET seq = -seq + ${delta} WHERE seq < 0`.execute(db);
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`audit verify on ${target.name}`, () => {
    it("passes an untouched log and reports its head", async () => {
      const t = await thirty(target.name);
      const result = await verify(t);
      expect(result).toMatchObject({
        valid: true,
        entries: 30,
        checkpoints: 3,
        anchors: 0,
        firstSeq: 1,
        lastSeq: 30,
        lastCheckpointSeq: 21,
      });
    });

    it("altered: a changed field breaks the entry's hash", async () => {
      const t = await thirty(target.name);
      await withoutAuditTriggers(t.database, async () => {
        await t.database.db
          .updateTable("audit_entries")
          .set({ actor: "mallory" })
          .where("seq", "=", 5)
          .execute();
      });
      expect(await verify(t)).toMatchObject({
        valid: false,
        problem: { kind: "altered", seq: 5 },
        entriesChecked: 4,
      });
    });

    it("altered: a rewritten segment (hashes recomputed) fails at its signed checkpoint", async () => {
      const t = await thirty(target.name);
      await withoutAuditTriggers(t.database, async () => {
        let prev = (await rows(t))[13] as AuditEntryRow; // seq 14
        for (const r of (await rows(t)).slice(14)) {
          const changed = { ...r, prev_hash: prev.hash, actor: r.seq === 15 ? "mallory" : r.actor };
          changed.hash = entryHash(changed);
          await t.database.db
            .updateTable("audit_entries")
            .set({ actor: changed.actor, prev_hash: changed.prev_hash, hash: changed.hash })
            .where("seq", "=", r.seq)
            .execute();
          prev = changed;
        }
      });
      expect(await verify(t)).toMatchObject({
        valid: false,
        problem: { kind: "altered", seq: 12, through: 21 },
      });
    });

    it("deleted: a missing seq", async () => {
      const t = await thirty(target.name);
      await withoutAuditTriggers(t.database, async () => {
        await t.database.db.deleteFrom("audit_entries").where("seq", "in", [7, 8]).execute();
      });
      expect(await verify(t)).toMatchObject({ valid: false, problem: { kind: "deleted", seq: 7 } });
    });

    it("deleted: an entry removed and the rest renumbered", async () => {
      const t = await thirty(target.name);
      await withoutAuditTriggers(t.database, async () => {
        await t.database.db.deleteFrom("audit_entries").where("seq", "=", 5).execute();
        await shift(t, 6, -1);
      });
      expect(await verify(t)).toMatchObject({ valid: false, problem: { kind: "deleted", seq: 5 } });
    });

    it("deleted: the oldest entries removed without a retention anchor", async () => {
      const t = await thirty(target.name);
      await withoutAuditTriggers(t.database, async () => {
        await t.database.db.deleteFrom("audit_entries").where("seq", "<=", 3).execute();
      });
      expect(await verify(t)).toMatchObject({ valid: false, problem: { kind: "deleted", seq: 1 } });
    });

    it("inserted: a well-formed forged entry slipped into the middle", async () => {
      const t = await thirty(target.name);
      const before = (await rows(t))[3] as AuditEntryRow; // seq 4
      await withoutAuditTriggers(t.database, async () => {
        await shift(t, 5, 1);
        const forged = {
          ...before,
          seq: 5,
          id: "forged",
          actor: "mallory",
          prev_hash: before.hash,
        };
        forged.hash = entryHash(forged);
        await t.database.db.insertInto("audit_entries").values(forged).execute();
      });
      expect(await verify(t)).toMatchObject({ valid: false, problem: { kind: "inserted", seq: 5 } });
    });

    it("inserted: a forged entry that does not even link", async () => {
      const t = await thirty(target.name);
      const before = (await rows(t))[3] as AuditEntryRow;
      await withoutAuditTriggers(t.database, async () => {
        await shift(t, 5, 1);
        const forged = { ...before, seq: 5, id: "forged", prev_hash: "f".repeat(64) };
        forged.hash = entryHash(forged);
        await t.database.db.insertInto("audit_entries").values(forged).execute();
      });
      expect(await verify(t)).toMatchObject({ valid: false, problem: { kind: "inserted", seq: 5 } });
    });

    it("reordered: two entries swapped", async () => {
      const t = await thirty(target.name);
      await withoutAuditTriggers(t.database, async () => {
        const { db } = t.database;
        await sql`UPDATE audit_entries SET seq = -1 WHERE seq = 5`.execute(db);
        await sql`UPDATE audit_entries SET seq = 5 WHERE seq = 6`.execute(db);
        await sql`UPDATE audit_entries SET seq = 6 WHERE seq = -1`.execute(db);
      });
      expect(await verify(t)).toMatchObject({ valid: false, problem: { kind: "reordered", seq: 5 } });
    });

    it("truncated: the newest entries gone below a signed checkpoint", async () => {
      const t = await thirty(target.name);
      await withoutAuditTriggers(t.database, async () => {
        await t.database.db.deleteFrom("audit_entries").where("seq", ">=", 18).execute();
      });
      expect(await verify(t)).toMatchObject({ valid: false, problem: { kind: "truncated", seq: 18 } });
      // Everything gone while checkpoints remain is truncation too.
      await withoutAuditTriggers(t.database, async () => {
        await t.database.db.deleteFrom("audit_entries").execute();
      });
      expect(await verify(t)).toMatchObject({ valid: false, problem: { kind: "truncated", seq: 1 } });
    });

    it("bad signature: a checkpoint's head, signature or signer changed", async () => {
      const t = await thirty(target.name);
      const { db } = t.database;
      const original = await db
        .selectFrom("audit_checkpoints")
        .selectAll()
        .where("seq", "=", 11)
        .executeTakeFirstOrThrow();
      const restore = () => db.updateTable("audit_checkpoints").set(original).where("seq", "=", 11).execute();
      const sig = Buffer.from(original.signature, "base64");
      sig[0] = (sig[0] ?? 0) ^ 1;
      const foreign = auditSigner(masterKeyFromBytes(randomBytes(32)));
      const statement = { ...original, key_id: foreign.keyId };
      const tampers = [
        { signature: sig.toString("base64") },
        { at: "2020-01-01T00:00:00.000Z" },
        // Re-signed by someone else's key: self-consistent, but not this instance's.
        { key_id: foreign.keyId, public_key: foreign.publicKey, signature: foreign.sign(statement) },
      ];
      for (const change of tampers) {
        await withoutAuditTriggers(t.database, async () => {
          await db.updateTable("audit_checkpoints").set(change).where("seq", "=", 11).execute();
        });
        expect(await verify(t), JSON.stringify(Object.keys(change))).toMatchObject({
          valid: false,
          problem: { kind: "bad_signature", seq: 11 },
        });
        await withoutAuditTriggers(t.database, restore);
      }
      expect((await verify(t)).valid).toBe(true);
      // A forged head with a valid foreign signature: the head mismatch is caught by the trust check first.
      await withoutAuditTriggers(t.database, async () => {
        const forged = { ...original, head_hash: "a".repeat(64), key_id: foreign.keyId };
        await db
          .updateTable("audit_checkpoints")
          .set({ ...forged, public_key: foreign.publicKey, signature: foreign.sign(forged) })
          .where("seq", "=", 11)
          .execute();
      });
      expect(await verify(t)).toMatchObject({ valid: false, problem: { kind: "bad_signature", seq: 11 } });
      // Without a trusted key list, the self-consistent forgery still fails on the chain itself.
      expect(await verifyAuditLog(db)).toMatchObject({ valid: false, problem: { kind: "altered", seq: 2 } });
    });
  });
}
