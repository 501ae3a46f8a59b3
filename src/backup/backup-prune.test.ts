import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openTestRuntime, type TestRuntime } from "../../test/support/backup-runtime.js";
import { STORES, type StoreName, tempDir } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { createBackupExporter } from "./backup-create.js";
import { createBackupPruner, type PrunePolicy } from "./backup-prune.js";
import { keptBackups } from "./backups-repo.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function runtime(store: StoreName): Promise<TestRuntime> {
  const rt = await openTestRuntime(store);
  cleanups.push(() => rt.dispose());
  return rt;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`backup prune on ${target.name}`, () => {
    /** Backups aged 20, 10, 5, 2 and 0 days at "now"; names say their age. */
    async function fiveBackups(rt: TestRuntime): Promise<Map<string, string>> {
      const tmp = tempDir("sp-prune-");
      cleanups.push(() => tmp.remove());
      const files = new Map<string, string>();
      const ages = [20, 10, 5, 2, 0];
      for (const [i, age] of ages.entries()) {
        if (i > 0) rt.clock.advance(((ages[i - 1] as number) - age) * MS.day);
        const created = await createBackupExporter(rt.runtime).create(path.join(tmp.dir, `age-${age}.spbak`));
        files.set(`age-${age}`, created.file);
      }
      return files;
    }

    const cases: Array<[string, PrunePolicy, string[]]> = [
      ["keep the last two", { keepLast: 2 }, ["age-2", "age-0"]],
      ["keep a week", { keepDays: 7 }, ["age-5", "age-2", "age-0"]],
      ["either rule keeps", { keepLast: 4, keepDays: 3 }, ["age-10", "age-5", "age-2", "age-0"]],
      ["the newest always stays", { keepDays: 0 }, ["age-0"]],
    ];
    for (const [name, policy, keep] of cases) {
      it(`${name}: deletes the other files and marks their rows pruned`, async () => {
        const rt = await runtime(target.name);
        const files = await fiveBackups(rt);
        const steps: Array<[number, number | null]> = [];
        const result = await createBackupPruner(rt.runtime).prune(policy, {
          onProgress: (_phase, done, total) => steps.push([done, total]),
        });
        const keptNames = [...files].filter(([, f]) => result.kept.some((k) => k.file === f)).map(([n]) => n);
        expect(keptNames).toEqual(keep);
        expect(result.pruned).toHaveLength(5 - keep.length);
        for (const [label, file] of files) expect(await exists(file), label).toBe(keep.includes(label));
        expect((await keptBackups(rt.runtime.database.db)).map((b) => b.file).sort()).toEqual(
          keep.map((k) => files.get(k)).sort(),
        );
        expect(steps.at(-1)).toEqual([5 - keep.length, 5 - keep.length]);
        const rows = await rt.runtime.database.db
          .selectFrom("backups")
          .selectAll()
          .where("status", "=", "pruned")
          .execute();
        expect(rows.every((r) => r.pruned_at === rt.clock.now().toISOString())).toBe(true);
      });
    }

    it("still prunes a row whose file is already gone, and refuses a policy that says nothing", async () => {
      const rt = await runtime(target.name);
      const files = await fiveBackups(rt);
      await fs.rm(files.get("age-20") as string);
      const result = await createBackupPruner(rt.runtime).prune({ keepLast: 4 });
      expect(result.pruned.map((b) => b.file)).toEqual([files.get("age-20")]);
      await expect(createBackupPruner(rt.runtime).prune({})).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
      });
      await expect(createBackupPruner(rt.runtime).prune({ keepLast: 0 })).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
      });
    });
  });
}
