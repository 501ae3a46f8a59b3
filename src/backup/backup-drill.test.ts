import { promises as fs } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openTestRuntime, type TestRuntime } from "../../test/support/backup-runtime.js";
import { seedData } from "../../test/support/backup-seed.js";
import { STORES, type StoreName } from "../../test/support/stores.js";
import { masterKeyFromBytes } from "../crypto/master-key.js";
import { BACKUP_TABLES } from "../db/tables.js";
import { createRestoreDrill, drillDatabaseName, drillsDirectory } from "./backup-drill.js";
import { type DrillReport, drillSigningKey, signDrillReport, verifyDrillReport } from "./drill-report.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function runtime(store: StoreName): Promise<TestRuntime> {
  const rt = await openTestRuntime(store);
  cleanups.push(() => rt.dispose());
  return rt;
}

async function scratchDatabases(rt: TestRuntime): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT datname AS name FROM pg_database WHERE datname LIKE 'sp_drill_%'`.execute(rt.runtime.database.db);
  return rows.map((r) => r.name);
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`restore drill on ${target.name}`, () => {
    it("backs up, restores into a scratch store, matches every table and writes a signed report", async () => {
      const rt = await runtime(target.name);
      await seedData(rt.runtime, rt.clock, 50);
      const { report, file } = await createRestoreDrill(rt.runtime).drill();
      expect(report.error).toBeNull();
      expect(report.outcome).toBe("passed");
      expect(report.store).toBe(target.name);
      expect(report.restoredInto).toBe(target.name);
      // Every backed-up table, in restore order (parents first); tables.test.ts pins that list.
      expect(Object.keys(report.tables)).toEqual(BACKUP_TABLES.map((t) => t.name));
      expect(Object.keys(report.tables)).toContain("audit_entries");
      expect(Object.values(report.tables).every((t) => t.match && t.rows === t.restoredRows)).toBe(true);
      expect(path.dirname(file)).toBe(drillsDirectory(rt.dataDir));
      expect((await fs.stat(file)).mode & 0o077).toBe(0);
      // The drill's archive is scratch: not in the catalog, so it pins no KEK version.
      expect(await rt.runtime.database.db.selectFrom("backups").selectAll().execute()).toEqual([]);
      if (target.name === "postgres") {
        expect(drillDatabaseName(report.id)).toMatch(/^sp_drill_[0-9a-f]{24}$/);
        expect(await scratchDatabases(rt)).not.toContain(drillDatabaseName(report.id));
      }

      const text = await fs.readFile(file, "utf8");
      const trusted = drillSigningKey(rt.runtime.master.key).publicKey;
      expect(verifyDrillReport(text, trusted)).toMatchObject({ valid: true, report });
    });
  });
}

describe("drill report signatures", () => {
  const master = masterKeyFromBytes(Buffer.alloc(32, 7));
  const report: DrillReport = {
    kind: "seller-pilot-restore-drill",
    version: 1,
    id: "d-1",
    startedAt: "2026-11-28T12:00:00.000Z",
    finishedAt: "2026-11-28T12:00:01.000Z",
    durationMs: 1000,
    outcome: "passed",
    store: "sqlite",
    restoredInto: "sqlite",
    backup: {
      id: "b-1",
      createdAt: "2026-11-28T12:00:00.000Z",
      bytes: 1234,
      sha256: "ab".repeat(32),
      kekVersion: 1,
      migrations: ["0001"],
    },
    tables: {
      t: {
        rows: 10,
        sha256: "cd".repeat(32),
        restoredRows: 10,
        restoredSha256: "cd".repeat(32),
        match: true,
      },
    },
    error: null,
  };

  it("verifies, and fails when any one byte of the report file changes", () => {
    const text = signDrillReport(report, master);
    const trusted = drillSigningKey(master).publicKey;
    expect(verifyDrillReport(text, trusted)).toEqual({ valid: true, report, publicKey: trusted });
    expect(verifyDrillReport(text).valid).toBe(true);
    const bytes = Buffer.from(text, "utf8");
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (at, mask) => {
          const altered = Buffer.from(bytes);
          altered[at] = (altered[at] as number) ^ mask;
          expect(verifyDrillReport(altered.toString("latin1"), trusted).valid, `byte ${at} ^ ${mask}`).toBe(
            false,
          );
        },
      ),
      { numRuns: 500 },
    );
    // The meaningful edits a forger would make, each one byte.
    const edits: Array<[string, string]> = [
      ['"passed"', '"passEd"'],
      ['"rows":10', '"rows":19'],
      ['"match":true', '"match":trua'],
    ];
    for (const [from, to] of edits) {
      expect(verifyDrillReport(text.replace(from, to), trusted).valid, to).toBe(false);
    }
  });

  it("refuses a report signed by another instance's key when a trusted key is given", () => {
    const other = masterKeyFromBytes(Buffer.alloc(32, 9));
    const forged = signDrillReport({ ...report, outcome: "passed" }, other);
    expect(verifyDrillReport(forged).valid).toBe(true);
    expect(verifyDrillReport(forged, drillSigningKey(master).publicKey)).toEqual({
      valid: false,
      reason: "signed by another key",
    });
  });
});
