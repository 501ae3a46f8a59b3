import { afterEach, describe, expect, it } from "vitest";
import { capturingLogger } from "../../test/support/log-capture.js";
import { openTestStore, STORES, type TestStore } from "../../test/support/stores.js";
import { migrateToLatest } from "../db/migrate.js";
import { ManualClock } from "../platform/clock.js";
import { createJobRunner } from "./create-job-runner.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`createJobRunner on ${target.name}`, () => {
    let store: TestStore | undefined;
    afterEach(async () => {
      await store?.dispose();
    });

    it("picks pg-boss on PostgreSQL unless told otherwise, and the in-process runner on SQLite", async () => {
      store = await openTestStore(target.name);
      await migrateToLatest(store.database.db);
      const config =
        target.name === "postgres"
          ? { kind: "postgres" as const, url: store.location }
          : { kind: "sqlite" as const, file: store.location };
      const deps = {
        database: store.database,
        store: config,
        clock: new ManualClock(),
        logger: capturingLogger("info").logger,
      };
      const runner = createJobRunner(deps);
      expect(runner.kind).toBe(target.name === "postgres" ? "pg-boss" : "in-process");
      expect(await runner.status()).toEqual([]);
      await runner.stop({ timeoutMs: 1000 });
      expect(createJobRunner({ ...deps, mode: "in-process" }).kind).toBe("in-process");
    });
  });
}
