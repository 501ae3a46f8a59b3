import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deferred, type JobsWorld, openJobsWorld } from "../test/support/jobs.js";
import { STORES } from "../test/support/stores.js";
import { MAINTENANCE_JOB, RETENTION_EVERY_MS, scheduleMaintenanceJobs } from "./background-jobs.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`maintenance jobs on ${target.name}`, () => {
    let w: JobsWorld;
    beforeAll(async () => {
      w = await openJobsWorld(target.name);
    });
    afterEach(async () => {
      await w.reset();
    });
    afterAll(async () => {
      await w?.dispose();
    });

    it("hands the runner's stop to a running retention pass, which is queued again for the next process", async () => {
      const runner = w.runner();
      const started = deferred<AbortSignal>();
      const calls: Array<{ actor?: string }> = [];
      await scheduleMaintenanceJobs(runner, {
        retention: {
          // Stands in for the purge between two batches: it ends when told to, as the real one does.
          async run(options = {}) {
            calls.push({ ...(options.actor ? { actor: options.actor } : {}) });
            const signal = options.signal;
            if (!signal) throw new Error("the retention job was given no signal");
            started.resolve(signal);
            await new Promise((_, reject) => {
              signal.addEventListener("abort", () => reject(signal.reason), { once: true });
            });
          },
        },
        incidents: { runDetection: async () => undefined },
      });
      w.clock.advance(RETENTION_EVERY_MS);
      const pass = runner.runDue();
      const signal = await started.promise;
      expect(signal.aborted).toBe(false);
      await runner.stop({ timeoutMs: 5_000 });
      expect(signal.aborted).toBe(true);
      await pass;
      expect(calls).toEqual([{ actor: "system:retention-job" }]);
      // Interrupted, not failed: the pass is back in the queue for whichever process runs next.
      const queued = await w.database.db
        .selectFrom("job_runs")
        .select(["name", "state", "attempts"])
        .where("name", "=", MAINTENANCE_JOB.retention)
        .execute();
      expect(queued).toEqual([{ name: MAINTENANCE_JOB.retention, state: "queued", attempts: 0 }]);
    });
  });
}
