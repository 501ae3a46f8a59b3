import type { Database } from "../../src/db/database.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { createInProcessRunner } from "../../src/jobs/in-process-runner.js";
import type { JobRunner } from "../../src/jobs/jobs-types.js";
import { ManualClock } from "../../src/platform/clock.js";
import { capturingLogger } from "./log-capture.js";
import { openTestStore, type StoreName, type TestStore } from "./stores.js";

/** A promise with its resolve handle: tests wait on events, never on time. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export interface JobsWorld {
  store: TestStore;
  database: Database;
  clock: ManualClock;
  logs: ReturnType<typeof capturingLogger>;
  runner(options?: { concurrency?: number }): JobRunner;
  /** Between tests: stops the runners, empties the job tables, winds the clock back (one store per file). */
  reset(): Promise<void>;
  dispose(): Promise<void>;
}

/** A migrated store, a manual clock and a factory of in-process runners sharing them ("processes"). */
export async function openJobsWorld(name: StoreName): Promise<JobsWorld> {
  const store = await openTestStore(name);
  await migrateToLatest(store.database.db);
  const start = "2026-03-01T00:00:00.000Z";
  const clock = new ManualClock(start);
  const logs = capturingLogger("info");
  const runners: JobRunner[] = [];
  return {
    store,
    database: store.database,
    clock,
    logs,
    runner(options = {}) {
      const runner = createInProcessRunner({
        database: store.database,
        clock,
        logger: logs.logger,
        ...options,
      });
      runners.push(runner);
      return runner;
    },
    async reset() {
      for (const runner of runners.splice(0)) await runner.stop({ timeoutMs: 1000 });
      const { db } = store.database;
      for (const table of ["job_runs", "job_schedules", "job_pauses"] as const)
        await db.deleteFrom(table).execute();
      clock.set(start);
      logs.lines.length = 0;
    },
    async dispose() {
      for (const runner of runners.splice(0)) await runner.stop({ timeoutMs: 1000 });
      await store.dispose();
    },
  };
}
