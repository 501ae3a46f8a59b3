import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deferred, type JobsWorld, openJobsWorld } from "../../test/support/jobs.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`in-process job runner across restarts on ${target.name}`, () => {
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

    it("re-runs a job whose process died once its lease expires, and keeps the schedules", async () => {
      // Process A takes the job and never finishes it (as if killed -9 mid-run).
      const a = w.runner();
      const startedA = deferred();
      const hang = deferred();
      a.register(
        "sync",
        async () => {
          startedA.resolve();
          await hang.promise;
        },
        { timeoutMs: MS.minute },
      );
      await a.schedule("sync", { accountId: "acc1", everyMs: 10 * MS.minute });
      const passA = a.runDue();
      await startedA.promise;

      // Process B starts on the same store: it registers handlers but never calls schedule().
      const b = w.runner();
      const attempts: number[] = [];
      b.register("sync", async (job) => {
        attempts.push(job.attempt);
      });
      expect(await b.runDue()).toBe(0); // A's lease still holds
      expect((await b.status())[0]?.pending).toBe(true);
      w.clock.advance(MS.minute + 1);
      expect(await b.runDue()).toBe(1);
      expect(attempts).toEqual([2]);
      w.clock.advance(10 * MS.minute);
      expect(await b.runDue()).toBe(1); // the schedule A created fires in B
      expect(attempts).toEqual([2, 1]);

      // A's stale try finally returns: it must not touch the row B finished.
      hang.resolve();
      expect(await passA).toBe(1);
      const rows = await w.database.db
        .selectFrom("job_runs")
        .select(["state", "attempts"])
        .orderBy("created_at")
        .execute();
      expect(rows).toEqual([
        { state: "succeeded", attempts: 2 },
        { state: "succeeded", attempts: 1 },
      ]);
      const [status] = await b.status();
      expect(status?.lastRunAt).toBe("2026-03-01T00:11:00.001Z");
      expect(status?.pending).toBe(false);
    });
  });
}
