import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deferred, type JobsWorld, openJobsWorld } from "../../test/support/jobs.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import type { JobContext } from "./jobs-types.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`in-process job runner on ${target.name}`, () => {
    let shared: JobsWorld;
    beforeAll(async () => {
      shared = await openJobsWorld(target.name);
    });
    afterEach(async () => {
      await shared.reset();
    });
    afterAll(async () => {
      await shared?.dispose();
    });
    it("runs an enqueued job once with its payload and account", async () => {
      const w = shared;
      const runner = w.runner();
      const seen: JobContext[] = [];
      runner.register("echo", async (job) => {
        seen.push(job);
      });
      const id = await runner.enqueue("echo", { accountId: "acc1", n: 7 });
      expect(id).toBeTypeOf("string");
      expect(await runner.runDue()).toBe(1);
      expect(await runner.runDue()).toBe(0);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ id, name: "echo", accountId: "acc1", attempt: 1, payload: { n: 7 } });
    });

    it("keeps at most one queued or running job per singleton key", async () => {
      const w = shared;
      const runner = w.runner();
      const started = deferred();
      const release = deferred();
      runner.register("sync", async () => {
        started.resolve();
        await release.promise;
      });
      const first = await runner.enqueue("sync", {}, { singletonKey: "sync:acc1" });
      expect(first).not.toBeNull();
      expect(await runner.enqueue("sync", {}, { singletonKey: "sync:acc1" })).toBeNull(); // queued
      expect(await runner.enqueue("sync", {}, { singletonKey: "sync:acc2" })).not.toBeNull(); // other key
      const pass = runner.runDue();
      await started.promise;
      expect(await runner.enqueue("sync", {}, { singletonKey: "sync:acc1" })).toBeNull(); // running
      release.resolve();
      expect(await pass).toBe(2);
      expect(await runner.enqueue("sync", {}, { singletonKey: "sync:acc1" })).not.toBeNull(); // finished
    });

    it("fires per-account schedules by the clock and reports their status", async () => {
      const w = shared;
      const runner = w.runner();
      const runs: string[] = [];
      runner.register("sync", async (job) => {
        runs.push(`${job.accountId}@${w.clock.now().toISOString()}`);
      });
      await runner.schedule("sync", { accountId: "acc1", everyMs: MS.minute });
      await runner.schedule("sync", { accountId: "acc2", everyMs: 5 * MS.minute });
      expect(await runner.runDue()).toBe(2);
      expect(await runner.runDue()).toBe(0);
      w.clock.advance(MS.minute - 1);
      expect(await runner.runDue()).toBe(0);
      w.clock.advance(1);
      expect(await runner.runDue()).toBe(1);
      expect(runs).toEqual([
        "acc1@2026-03-01T00:00:00.000Z",
        "acc2@2026-03-01T00:00:00.000Z",
        "acc1@2026-03-01T00:01:00.000Z",
      ]);
      // Hours of downtime fire once, not once per missed minute.
      w.clock.advance(3 * MS.hour);
      expect(await runner.runDue()).toBe(2);
      const status = await runner.status({ accountId: "acc1" });
      expect(status).toEqual([
        {
          name: "sync",
          accountId: "acc1",
          everyMs: MS.minute,
          nextRunAt: "2026-03-01T03:02:00.000Z",
          lastRunAt: "2026-03-01T03:01:00.000Z",
          lastSuccessAt: "2026-03-01T03:01:00.000Z",
          lastErrorCode: null,
          lastErrorAt: null,
          pausedAt: null,
          pausedCode: null,
          pending: false,
        },
      ]);
    });

    it("retries failures with backoff, a bounded number of times, storing only the error code", async () => {
      const w = shared;
      const runner = w.runner();
      const canary = "Atzr|CANARY-secret-refresh-token";
      const attempts: number[] = [];
      runner.register(
        "flaky",
        async (job) => {
          attempts.push(job.attempt);
          throw new Error(`boom ${canary}`);
        },
        { maxAttempts: 3, backoffMs: 10 * MS.second },
      );
      await runner.schedule("flaky", { everyMs: MS.day });
      expect(await runner.runDue()).toBe(1);
      expect(await runner.runDue()).toBe(0); // backing off
      w.clock.advance(10 * MS.second - 1);
      expect(await runner.runDue()).toBe(0);
      w.clock.advance(1);
      expect(await runner.runDue()).toBe(1);
      w.clock.advance(20 * MS.second); // doubled
      expect(await runner.runDue()).toBe(1);
      w.clock.advance(MS.hour);
      expect(await runner.runDue()).toBe(0); // attempts exhausted
      expect(attempts).toEqual([1, 2, 3]);
      const [status] = await runner.status();
      expect(status).toMatchObject({ lastErrorCode: "JOB_FAILED", lastSuccessAt: null });
      const { db } = w.database;
      const stored = JSON.stringify([
        await db.selectFrom("job_runs").selectAll().execute(),
        await db.selectFrom("job_schedules").selectAll().execute(),
      ]);
      expect(stored).toContain('"failed"');
      expect(stored).not.toContain("CANARY");
      expect(stored).not.toContain("boom");
    });

    it("does not retry errors that fail the same way every time", async () => {
      const w = shared;
      const runner = w.runner();
      let calls = 0;
      runner.register("strict", async () => {
        calls += 1;
        throw new AppError("SPAPI_FEATURE_DISABLED");
      });
      await runner.enqueue("strict", {});
      await runner.runDue();
      w.clock.advance(MS.day);
      await runner.runDue();
      expect(calls).toBe(1);
    });

    it("runs at most `concurrency` jobs at once and drains the rest", async () => {
      const w = shared;
      const runner = w.runner({ concurrency: 2 });
      let running = 0;
      let max = 0;
      let done = 0;
      const both = deferred();
      runner.register("work", async () => {
        running += 1;
        max = Math.max(max, running);
        if (running === 2) both.resolve();
        await both.promise;
        await new Promise((r) => setImmediate(r));
        running -= 1;
        done += 1;
      });
      for (let i = 0; i < 5; i++) await runner.enqueue("work", { i });
      expect(await runner.runDue()).toBe(5);
      expect(done).toBe(5);
      expect(max).toBe(2);
    });

    it("pauses an account whose authorization is revoked until it is resumed", async () => {
      const w = shared;
      const runner = w.runner();
      const revoked = new Set(["acc1"]);
      const runs: string[] = [];
      runner.register("sync", async (job) => {
        runs.push(job.accountId ?? "");
        if (revoked.has(job.accountId ?? "")) throw new AppError("SPAPI_AUTHORIZATION_REVOKED");
      });
      runner.register("prices", async (job) => {
        runs.push(`prices:${job.accountId}`);
      });
      await runner.schedule("sync", { accountId: "acc1", everyMs: MS.minute });
      await runner.schedule("prices", {
        accountId: "acc1",
        everyMs: MS.hour,
        firstRunAt: new Date("2026-03-01T00:00:30Z"),
      });
      await runner.schedule("sync", { accountId: "acc2", everyMs: MS.minute });
      await runner.runDue();
      expect([...runs].sort()).toEqual(["acc1", "acc2"]);
      expect(await runner.pausedAccounts()).toEqual([
        { accountId: "acc1", code: "SPAPI_AUTHORIZATION_REVOKED", pausedAt: "2026-03-01T00:00:00.000Z" },
      ]);
      await expect(runner.enqueue("sync", { accountId: "acc1" })).rejects.toMatchObject({
        code: "JOB_ACCOUNT_PAUSED",
      });
      w.clock.advance(10 * MS.minute);
      await runner.runDue();
      expect(runs.slice(2)).toEqual(["acc2"]); // neither of acc1's schedules fires
      const acc1 = await runner.status({ accountId: "acc1" });
      expect(acc1.map((s) => [s.name, s.pausedCode, s.lastErrorCode])).toEqual([
        ["prices", "SPAPI_AUTHORIZATION_REVOKED", null],
        ["sync", "SPAPI_AUTHORIZATION_REVOKED", "SPAPI_AUTHORIZATION_REVOKED"],
      ]);
      // Re-authorized: the connect service resumes it and its schedules run at the next pass.
      revoked.clear();
      await runner.resumeAccount("acc1");
      await runner.runDue();
      expect(runs.slice(3).sort()).toEqual(["acc1", "prices:acc1"]);
      const after = await runner.status({ accountId: "acc1" });
      expect(after.every((s) => s.pausedAt === null)).toBe(true);
      expect(after.find((s) => s.name === "sync")?.lastSuccessAt).toBe("2026-03-01T00:10:00.000Z");
    });
  });
}
