import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createScratchPostgres } from "../../test/support/backup-runtime.js";
import { STORES, tempDir } from "../../test/support/stores.js";
import { verifyDrillReport } from "../backup/drill-report.js";
import { runCli } from "./program.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function scratch(): string {
  const tmp = tempDir("sp-cli-backup-");
  cleanups.push(() => tmp.remove());
  return tmp.dir;
}

/** Runs the CLI against one data dir (and PostgreSQL store when a URL is given). */
function cliFor(dir: string, databaseUrl?: string, extraEnv: Record<string, string> = {}) {
  return async (argv: string[]) => {
    let stdout = "";
    let stderr = "";
    const code = await runCli(argv, {
      env: {
        SELLER_PILOT_DATA_DIR: path.join(dir, "data"),
        SELLER_PILOT_LOG_LEVEL: "warn",
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        ...extraEnv,
      },
      cwd: dir,
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
    });
    return { code, stdout, stderr, json: () => JSON.parse(stdout) };
  };
}

describe("seller-pilot backup (CLI)", () => {
  it("documents every subcommand and exits 2 on usage errors", async () => {
    const cli = cliFor(scratch());
    const help = await cli(["backup", "--help"]);
    expect(help.code).toBe(0);
    for (const sub of ["create", "verify", "restore", "drill", "prune"]) {
      expect(help.stdout).toContain(sub);
      expect((await cli(["backup", sub, "--help"])).code, sub).toBe(0);
    }
    for (const argv of [
      ["backup", "restore", "x.spbak"],
      ["backup", "restore", "x.spbak", "--to", "d", "--database-url", "postgres://h/db"],
      ["backup", "restore", "x.spbak", "--database-url", "mysql://h/db"],
      // A password on the command line would be visible in ps.
      ["backup", "restore", "x.spbak", "--database-url", "postgres://u:hunter2@h/db"],
      ["backup", "restore", "x.spbak", "--database-url-env", "NOT_SET_ANYWHERE"],
      ["backup", "prune"],
      ["backup", "prune", "--keep-last", "0"],
      ["backup", "prune", "--keep-days", "two"],
      ["backup", "verify"],
      ["backup", "bogus"],
    ]) {
      expect((await cli(argv)).code, argv.join(" ")).toBe(2);
    }
  });

  it("creates, verifies, restores, drills and prunes with --json; failures exit 1 with a code", async () => {
    const dir = scratch();
    const cli = cliFor(dir);
    const created = await cli(["backup", "create", "--out", "one.spbak", "--json"]);
    expect(created.code).toBe(0);
    expect(created.stderr).toContain("exporting seller_accounts");
    const result = created.json();
    expect(result).toMatchObject({ file: path.join(dir, "one.spbak"), kekVersion: 1, store: "sqlite" });

    const verified = await cli(["backup", "verify", "one.spbak", "--json"]);
    expect(verified.code).toBe(0);
    expect(verified.json()).toMatchObject({
      ok: true,
      id: result.id,
      sha256: result.sha256,
      tables: result.tables,
    });

    const restored = await cli(["backup", "restore", "one.spbak", "--to", "restored", "--json"]);
    expect(restored.code).toBe(0);
    expect(restored.json()).toMatchObject({
      id: result.id,
      location: path.join(dir, "restored", "seller-pilot.db"),
    });
    const again = await cli(["backup", "restore", "one.spbak", "--to", "restored", "--json"]);
    expect(again.code).toBe(1);
    expect(again.json().error.code).toBe("RESTORE_TARGET_NOT_EMPTY");

    await fs.writeFile(path.join(dir, "junk.spbak"), "not a backup");
    const junk = await cli(["backup", "verify", "junk.spbak"]);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toContain("error BACKUP_MALFORMED");
    expect(junk.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const drill = await cli(["backup", "drill", "--json"]);
    expect(drill.code).toBe(0);
    const { file, report } = drill.json();
    expect(report.outcome).toBe("passed");
    expect(verifyDrillReport(await fs.readFile(file, "utf8")).valid).toBe(true);

    const defaulted = await cli(["backup", "create", "--json"]);
    expect(defaulted.code).toBe(0);
    expect(path.dirname(defaulted.json().file)).toBe(path.join(dir, "data", "backups"));
  });

  it("keys rotate keeps the KEK a kept backup needs, and retires it once that backup is pruned", async () => {
    const cli = cliFor(scratch());
    expect((await cli(["backup", "create", "--out", "old.spbak"])).code).toBe(0);
    const first = await cli(["keys", "rotate", "--json"]);
    expect(first.json()).toMatchObject({ current: 2, retired: [], kept: [1] });
    expect((await cli(["backup", "verify", "old.spbak"])).code).toBe(0);
    expect((await cli(["backup", "create", "--out", "new.spbak"])).code).toBe(0);
    const pruned = await cli(["backup", "prune", "--keep-last", "1", "--json"]);
    expect(pruned.json().pruned).toHaveLength(1);
    const second = await cli(["keys", "rotate", "--json"]);
    expect(second.json()).toMatchObject({ current: 3, retired: [1], kept: [2] });
  });
});

for (const target of STORES.filter((s) => s.name === "postgres")) {
  describe.skipIf(target.skip)("seller-pilot backup (CLI) on postgres", () => {
    it("restores a PostgreSQL instance's backup into an empty database given by --database-url", async () => {
      const live = await createScratchPostgres();
      const into = await createScratchPostgres();
      cleanups.push(
        () => live.drop(),
        () => into.drop(),
      );
      const cli = cliFor(scratch(), live.url, { RESTORE_TARGET_URL: into.url });
      expect((await cli(["backup", "create", "--out", "pg.spbak"])).code).toBe(0);
      const restored = await cli([
        "backup",
        "restore",
        "pg.spbak",
        "--database-url-env",
        "RESTORE_TARGET_URL",
        "--json",
      ]);
      expect(restored.code).toBe(0);
      expect(restored.json()).toMatchObject({ source: "postgres", target: "postgres" });
      const drill = await cli(["backup", "drill"]);
      expect(drill.code).toBe(0);
      expect(drill.stdout).toContain("Restore drill passed; restored into postgres");
    });
  });
}
