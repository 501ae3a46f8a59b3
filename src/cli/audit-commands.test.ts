import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { withoutAuditTriggers } from "../../test/support/audit-log.js";
import { runCliCaptured } from "../../test/support/cli.js";
import { createPostgresDatabase, STORES, type StoreName, tempDir } from "../../test/support/stores.js";
import { loadConfig } from "../config/config.js";
import { loadMasterKey } from "../crypto/master-key.js";
import { openDatabase } from "../db/database.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function instance(store: StoreName) {
  const tmp = tempDir("sp-cli-audit-");
  cleanups.push(() => tmp.remove());
  const pg = store === "postgres" ? await createPostgresDatabase() : null;
  if (pg) cleanups.push(() => pg.drop());
  const env = {
    SELLER_PILOT_DATA_DIR: path.join(tmp.dir, "data"),
    SELLER_PILOT_LOG_LEVEL: "warn",
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
  const cli = (argv: string[]) => runCliCaptured(argv, { env, cwd: tmp.dir });
  /** Opens the instance's data store directly (its own master key), for tampering. */
  const tamper = async (sqlChange: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<unknown>) => {
    const config = loadConfig(env, tmp.dir);
    const master = await loadMasterKey(config.masterKey);
    const database = await openDatabase(config.database, master.key);
    try {
      await withoutAuditTriggers(database, () => sqlChange(database));
    } finally {
      await database.close();
    }
  };
  return { cli, tamper, dir: tmp.dir };
}

describe("seller-pilot audit (CLI)", () => {
  it("documents its subcommands and exits 2 on usage errors", async () => {
    const { cli } = await instance("sqlite");
    const help = await cli(["audit", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("verify");
    expect(help.stdout).toContain("export");
    for (const argv of [
      ["audit", "export"],
      ["audit", "export", "--since", "yesterday"],
      ["audit", "export", "--since", "2026-13-45"],
      ["audit", "bogus"],
    ]) {
      expect((await cli(argv)).code, argv.join(" ")).toBe(2);
    }
  });
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`seller-pilot audit on ${target.name}`, () => {
    it("verifies (exit 0), exports JSONL, and reports the first problem with exit 1", async () => {
      const { cli, tamper, dir } = await instance(target.name);
      const empty = await cli(["audit", "verify", "--json"]);
      expect(empty.code).toBe(0);
      expect(empty.json()).toMatchObject({ valid: true, entries: 0 });
      // Each command audits itself: the log now holds the first verify.
      const second = await cli(["audit", "verify", "--json"]);
      expect(second.json()).toMatchObject({
        valid: true,
        entries: 1,
        firstSeq: 1,
        lastSeq: 1,
        checkpoints: 1,
      });
      const text = await cli(["audit", "verify"]);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain("The audit log holds: entries 1..2");

      const exported = await cli(["audit", "export", "--since", "2000-01-01"]);
      expect(exported.code).toBe(0);
      const lines = exported.stdout
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => [l.seq, l.action, l.outcome])).toEqual([
        [1, "audit.verify", "success"],
        [2, "audit.verify", "success"],
        [3, "audit.verify", "success"],
      ]);
      expect(lines[1].prevHash).toBe(lines[0].hash);
      const future = await cli(["audit", "export", "--since", "2999-01-01T00:00:00Z"]);
      expect(future.stdout).toBe("");

      const toFile = await cli([
        "audit",
        "export",
        "--since",
        "2000-01-01T00:00:00.000Z",
        "--out",
        "siem.jsonl",
      ]);
      expect(toFile.code).toBe(0);
      const file = path.join(dir, "siem.jsonl");
      expect((await fs.readFile(file, "utf8")).trimEnd().split("\n")).toHaveLength(5);
      expect((await fs.stat(file)).mode & 0o077).toBe(0);
      const again = await cli(["audit", "export", "--since", "2000-01-01", "--out", "siem.jsonl"]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain("error AUDIT_EXPORT_TARGET_EXISTS");

      await tamper((database) =>
        database.db.updateTable("audit_entries").set({ outcome: "failure" }).where("seq", "=", 2).execute(),
      );
      const broken = await cli(["audit", "verify", "--json"]);
      expect(broken.code).toBe(1);
      expect(broken.json()).toMatchObject({ valid: false, problem: { kind: "altered", seq: 2 } });
      const brokenText = await cli(["audit", "verify"]);
      expect(brokenText.code).toBe(1);
      expect(brokenText.stdout).toContain("does NOT hold: altered at seq 2");
    });
  });
}
