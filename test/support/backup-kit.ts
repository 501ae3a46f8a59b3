import path from "node:path";
import { afterEach } from "vitest";
import type { RestoreTarget } from "../../src/backup/restore-target.js";
import { createScratchPostgres, openTestRuntime, type TestRuntime } from "./backup-runtime.js";
import { type StoreName, tempDir } from "./stores.js";

/**
 * What the backup tests open per test — runtimes, scratch directories, empty restore targets — each removed
 * after the test (in reverse order) by the afterEach this registers in the calling file.
 */
export function backupTestKit(scratchPrefix: string) {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function scratchDir(): string {
    const tmp = tempDir(scratchPrefix);
    cleanups.push(() => tmp.remove());
    return tmp.dir;
  }

  return {
    cleanups,
    scratchDir,
    async runtime(store: StoreName): Promise<TestRuntime> {
      const rt = await openTestRuntime(store);
      cleanups.push(() => rt.dispose());
      return rt;
    },
    /** A fresh, empty target of the given kind: a directory that does not exist yet, or an empty database. */
    async freshTarget(kind: StoreName): Promise<RestoreTarget> {
      if (kind === "sqlite") return { kind: "sqlite", dir: path.join(scratchDir(), "restored") };
      const db = await createScratchPostgres();
      cleanups.push(() => db.drop());
      return { kind: "postgres", url: db.url };
    },
  };
}

/** The error code a promise rejects with ("OK" when it resolves): what the bad-input tests compare. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}
