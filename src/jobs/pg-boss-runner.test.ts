import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deferred } from "../../test/support/jobs.js";
import { capturingLogger } from "../../test/support/log-capture.js";
import { openTestStore, STORES, type TestStore } from "../../test/support/stores.js";
import { migrateToLatest } from "../db/migrate.js";
import { ManualClock, MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import type { JobRunner } from "./jobs-types.js";
import { createPgBossRunner } from "./pg-boss-runner.js";

/** pg-boss needs PostgreSQL: these cases run (and count) under the PostgreSQL store only. */
const postgres = STORES.find((s) => s.name === "postgres");

interface QueueRow {
  id: string;
  state: string;
  retry_count: number;
  delay_ms: number;
  output: string | null;
}

/** Waits for an event the runner's real workers cause (they poll every 0.5 s); never a fixed sleep. */
async function until<T>(probe: () => Promise<T | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(postgres?.skip ?? true)("pg-boss job runner on postgres", () => {
  const start = "2026-03-01T00:00:00.000Z";
  const clock = new ManualClock(start);
  const logs = capturingLogger("info");
  const runners: JobRunner[] = [];
  let store: TestStore;

  /** One runner per "process": each has its own pg-boss and pool on the same database. */
  function runner(): JobRunner {
    const created = createPgBossRunner({
      database: store.database,
      connectionString: store.location,
      clock,
      logger: logs.logger,
      concurrency: 2,
      // Schedules fire only when a test calls runDue(); workers fetch at pg-boss's fastest rate.
      tickMs: MS.hour,
      pollingIntervalSeconds: 0.5,
      poolSize: 3,
    });
    runners.push(created);
    return created;
  }

  async function queueRows(name: string): Promise<QueueRow[]> {
    const rows = await sql<QueueRow>`
      SELECT id, state::text AS state, retry_count,
        (extract(epoch FROM start_after - now()) * 1000)::int AS delay_ms, output::text AS output
      FROM sp_jobs.job WHERE name = ${name} ORDER BY created_on`.execute(store.database.db);
    return rows.rows;
  }

  beforeAll(async () => {
    store = await openTestStore("postgres");
    await migrateToLatest(store.database.db);
  });
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop({ timeoutMs: 2000 });
    const { db } = store.database;
    for (const table of ["job_schedules", "job_pauses"] as const) await db.deleteFrom(table).execute();
    await sql`DELETE FROM sp_jobs.job`.execute(db).catch(() => undefined);
    clock.set(start);
    logs.lines.length = 0;
  });
  afterAll(async () => {
    for (const r of runners.splice(0)) await r.stop({ timeoutMs: 2000 });
    await store?.dispose();
  });

  it("fires each due schedule once across two processes and runs it on one of them", async () => {
    const a = runner();
    const b = runner();
    const runs: string[] = [];
    for (const r of [a, b]) {
      r.register("sync", async (job) => {
        runs.push(`${job.accountId}:${job.attempt}`);
      });
    }
    await Promise.all([a.start(), b.start()]);
    await a.schedule("sync", { accountId: "acc1", everyMs: MS.minute });
    await b.schedule("sync", { accountId: "acc1", everyMs: MS.minute });
    const fired = await Promise.all([a.runDue(), b.runDue(), a.runDue(), b.runDue()]);
    expect(fired.reduce((x, y) => x + y, 0)).toBe(1);
    await until(async () => (await queueRows("sync"))[0]?.state === "completed", "the first run");
    clock.advance(MS.minute - 1);
    expect((await Promise.all([a.runDue(), b.runDue()])).reduce((x, y) => x + y, 0)).toBe(0);
    clock.advance(1);
    expect((await Promise.all([a.runDue(), b.runDue()])).reduce((x, y) => x + y, 0)).toBe(1);
    await until(async () => (await queueRows("sync")).every((r) => r.state === "completed"), "2nd run");
    expect(runs).toEqual(["acc1:1", "acc1:1"]);
    const [status] = await a.status({ accountId: "acc1" });
    expect(status).toMatchObject({
      lastSuccessAt: expect.any(String),
      lastErrorCode: null,
      nextRunAt: "2026-03-01T00:02:00.000Z",
      pending: false,
    });
  });

  it("keeps one queued or running job per singleton key, across processes", async () => {
    const a = runner();
    const b = runner();
    const started = deferred();
    const release = deferred();
    a.register("sync", async () => {
      started.resolve();
      await release.promise;
    });
    // Two processes enqueue at the same moment: the key's lock lets exactly one in.
    const ids = await Promise.all([
      a.enqueue("sync", {}, { singletonKey: "sync:acc1" }),
      b.enqueue("sync", {}, { singletonKey: "sync:acc1" }),
    ]);
    expect(ids.filter((id) => id !== null)).toHaveLength(1);
    expect(await b.enqueue("sync", {}, { singletonKey: "sync:acc1" })).toBeNull(); // queued
    await a.start();
    await started.promise;
    expect((await queueRows("sync"))[0]?.state).toBe("active");
    expect(await b.enqueue("sync", {}, { singletonKey: "sync:acc1" })).toBeNull(); // running
    expect(await b.enqueue("sync", {}, { singletonKey: "sync:acc2" })).not.toBeNull(); // other key
    release.resolve();
    await until(async () => (await queueRows("sync")).every((r) => r.state === "completed"), "both runs");
    expect(await b.enqueue("sync", {}, { singletonKey: "sync:acc1" })).not.toBeNull(); // finished
  });

  it("retries failures with doubling backoff, a bounded number of times, storing only the code", async () => {
    const a = runner();
    const canary = "Atzr|CANARY-secret-refresh-token";
    const attempts: number[] = [];
    a.register(
      "flaky",
      async (job) => {
        attempts.push(job.attempt);
        throw new Error(`boom ${canary}`);
      },
      { maxAttempts: 3, backoffMs: 2 * MS.second },
    );
    await a.start(); // before scheduling: start() runs one pass of its own
    await a.schedule("flaky", { everyMs: MS.day });
    expect(await a.runDue()).toBe(1);
    const delays: number[] = [];
    for (const tries of [1, 2]) {
      const row = await until(async () => {
        const [r] = await queueRows("flaky");
        return r?.state === "retry" && r.retry_count === tries - 1 && attempts.length === tries
          ? r
          : undefined;
      }, `retry ${tries}`);
      delays.push(row.delay_ms);
      // Instead of waiting out the backoff, bring the queued retry's time forward.
      await sql`UPDATE sp_jobs.job SET start_after = now() WHERE id = ${row.id}::uuid`.execute(
        store.database.db,
      );
    }
    const [last] = await until(async () => {
      const rows = await queueRows("flaky");
      return rows[0]?.state === "failed" ? rows : undefined;
    }, "the final failure");
    expect(attempts).toEqual([1, 2, 3]);
    // pg-boss's backoff: base * 2^(try-1), plus up to as much again in jitter.
    expect(delays[0]).toBeGreaterThan(1000);
    expect(delays[0]).toBeLessThanOrEqual(4000);
    expect(delays[1]).toBeGreaterThan(3000);
    expect(delays[1]).toBeLessThanOrEqual(8000);
    const [status] = await a.status();
    expect(status).toMatchObject({ lastErrorCode: "JOB_FAILED", lastSuccessAt: null, pending: false });
    expect(last?.output).toContain("JOB_FAILED");
    const stored = JSON.stringify([
      await queueRows("flaky"),
      await store.database.db.selectFrom("job_schedules").selectAll().execute(),
    ]);
    expect(stored).not.toContain("CANARY");
    expect(stored).not.toContain("boom");
  });

  it("records a revoked authorization's code, pauses the account and resumes it", async () => {
    const a = runner();
    const revoked = new Set(["acc1"]);
    const runs: string[] = [];
    a.register("sync", async (job) => {
      runs.push(job.accountId ?? "");
      if (revoked.has(job.accountId ?? "")) throw new AppError("SPAPI_AUTHORIZATION_REVOKED");
    });
    await a.start();
    await a.schedule("sync", { accountId: "acc1", everyMs: MS.minute });
    await a.schedule("sync", { accountId: "acc2", everyMs: MS.minute });
    expect(await a.runDue()).toBe(2);
    const paused = await until(async () => {
      const list = await a.pausedAccounts();
      return list.length === 1 && runs.length === 2 ? list : undefined;
    }, "the pause");
    expect(paused).toEqual([
      { accountId: "acc1", code: "SPAPI_AUTHORIZATION_REVOKED", pausedAt: "2026-03-01T00:00:00.000Z" },
    ]);
    await expect(a.enqueue("sync", { accountId: "acc1" })).rejects.toMatchObject({
      code: "JOB_ACCOUNT_PAUSED",
    });
    clock.advance(MS.minute);
    expect(await a.runDue()).toBe(1); // acc2 only
    await until(async () => runs.length === 3, "acc2's second run");
    expect(runs.slice(2)).toEqual(["acc2"]);
    const [acc1] = await a.status({ accountId: "acc1" });
    expect(acc1).toMatchObject({
      pausedCode: "SPAPI_AUTHORIZATION_REVOKED",
      lastErrorCode: "SPAPI_AUTHORIZATION_REVOKED",
      lastSuccessAt: null,
    });
    // Re-authorized: resumed, and due at once.
    revoked.clear();
    await a.resumeAccount("acc1");
    expect(await a.runDue()).toBe(1);
    await until(async () => runs.length === 4, "acc1's run after the resume");
    await until(async () => (await a.status({ accountId: "acc1" }))[0]?.lastSuccessAt, "acc1's success");
    expect((await a.status({ accountId: "acc1" }))[0]?.pausedAt).toBeNull();
  });

  it("does not retry errors that fail the same way every time, and records their code", async () => {
    const a = runner();
    let calls = 0;
    a.register("strict", async () => {
      calls += 1;
      throw new AppError("SPAPI_FEATURE_DISABLED");
    });
    await a.start();
    await a.schedule("strict", { everyMs: MS.day });
    expect(await a.runDue()).toBe(1);
    const [row] = await until(async () => {
      const rows = await queueRows("strict");
      return rows[0]?.state === "completed" ? rows : undefined;
    }, "the failed try");
    expect(calls).toBe(1);
    expect(row?.output).toContain("SPAPI_FEATURE_DISABLED");
    const [status] = await a.status();
    expect(status).toMatchObject({ lastErrorCode: "SPAPI_FEATURE_DISABLED", lastSuccessAt: null });
  });

  it("drops an account's queued jobs when it is paused", async () => {
    const a = runner();
    const runs: string[] = [];
    a.register("sync", async (job) => {
      runs.push(job.accountId ?? "");
    });
    await a.schedule("sync", { accountId: "acc1", everyMs: MS.minute });
    await a.schedule("sync", { accountId: "acc2", everyMs: MS.minute });
    expect(await a.runDue()).toBe(2); // queued; no worker yet
    expect((await a.status()).map((s) => s.pending)).toEqual([true, true]);
    await a.pauseAccount("acc1", "SPAPI_AUTHORIZATION_REVOKED");
    expect((await a.status()).map((s) => [s.accountId, s.pending])).toEqual([
      ["acc1", false],
      ["acc2", true],
    ]);
    await a.start();
    await until(
      async () => (await queueRows("sync")).every((r) => ["completed", "cancelled"].includes(r.state)),
      "the queue",
    );
    expect(runs).toEqual(["acc2"]);
    expect((await queueRows("sync")).map((r) => r.state).sort()).toEqual(["cancelled", "completed"]);
  });

  it("stop() aborts a running job, waits for it, and the job runs again in the next process", async () => {
    const a = runner();
    const started = deferred();
    let aborted = false;
    a.register(
      "long",
      async (job) => {
        started.resolve();
        await new Promise<void>((resolve) => job.signal.addEventListener("abort", () => resolve()));
        aborted = true;
        throw job.signal.reason;
      },
      { backoffMs: 0 },
    );
    await a.start();
    await a.enqueue("long", {});
    await started.promise;
    const t0 = Date.now();
    await a.stop({ timeoutMs: 10_000 });
    expect(aborted).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await queueRows("long"))[0]?.state).toBe("retry");
    const b = runner();
    const attempts: number[] = [];
    b.register("long", async (job) => {
      attempts.push(job.attempt);
    });
    await b.start();
    await until(async () => (await queueRows("long"))[0]?.state === "completed", "the re-run");
    expect(attempts).toEqual([2]);
  });
});
