// The sync job stopped by a shutdown while its requests hang at Amazon (the real runners, client, sandbox and
// store): stop() returns within moments, the try is queued again instead of failing, and the next process's
// runner finishes the sync with exactly the sandbox's orders.
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { JOB, registerAmazonJobs, scheduleAmazonJobs } from "../../src/background-jobs.js";
import { createInProcessRunner } from "../../src/jobs/in-process-runner.js";
import type { JobRunner } from "../../src/jobs/jobs-types.js";
import { createPgBossRunner } from "../../src/jobs/pg-boss-runner.js";
import { MS } from "../../src/platform/clock.js";
import {
  type HangingSandbox,
  hangingSandbox,
  sandboxOrderCount,
  storedOrders,
} from "../support/hanging-sandbox.js";
import { capturingLogger } from "../support/log-capture.js";
import { STORES } from "../support/stores.js";
import { openSyncRig, type SyncRig } from "../support/sync-rig.js";

const notUsed = {
  requestIfDue: async () => {
    throw new Error("client secret rotation is not scheduled in this test");
  },
} as never;

/** Below close-with-grace's 10 s with room to spare; the runner is given far more grace than that. */
const PROMPT_MS = 2_000;
const GRACE_MS = 20_000;

let r: SyncRig | null = null;
const runners: JobRunner[] = [];
afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.stop({ timeoutMs: 2_000 });
  await r?.dispose();
  r = null;
});

async function world(
  store: "sqlite" | "postgres",
): Promise<{ rig: SyncRig; sandbox: HangingSandbox; account: string }> {
  // Some windows are in before Amazon stops answering.
  const sandbox = hangingSandbox({ orders: 1_200, sellers: 1, seed: 17 }, 40);
  const rig = await openSyncRig(store, { sandbox: sandbox.options });
  r = rig;
  return { rig, sandbox, account: await rig.connect(0) };
}

/** Stops the runner and returns how long that took in wall time. */
async function timedStop(runner: JobRunner): Promise<number> {
  const t0 = performance.now();
  await runner.stop({ timeoutMs: GRACE_MS });
  return performance.now() - t0;
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`sync job at shutdown, in-process runner on ${target.name}`, () => {
    it("stop() aborts the running sync within moments; the try is given back and the next runner completes it", async () => {
      const { rig, sandbox, account } = await world(target.name);
      const logs = capturingLogger("info");
      const runner = (): JobRunner => {
        const created = createInProcessRunner({
          database: rig.rig.protection.data.database,
          clock: rig.rig.clock,
          logger: logs.logger,
        });
        registerAmazonJobs(
          created,
          { sync: rig.engine(), clientSecret: notUsed },
          { rotateClientSecret: false },
        );
        runners.push(created);
        return created;
      };
      const first = runner();
      await scheduleAmazonJobs(first, rig.db, { rotateClientSecret: false });
      const pass = first.runDue();
      await sandbox.held;
      expect(await timedStop(first)).toBeLessThan(PROMPT_MS);
      expect(await pass).toBe(1);
      sandbox.release();

      const run = await rig.db.selectFrom("job_runs").selectAll().executeTakeFirstOrThrow();
      expect(run).toMatchObject({ name: JOB.sync, state: "queued", attempts: 0, error_code: null });
      const [status] = await first.status({ accountId: account });
      expect(status).toMatchObject({ lastErrorCode: null, lastSuccessAt: null, pending: true });
      expect(logs.text()).toContain("job interrupted; queued again");
      const partial = await storedOrders(rig, account);
      expect(partial.rows).toBeGreaterThan(0);

      const second = runner();
      expect(await second.runDue()).toBe(1);
      const want = sandboxOrderCount(rig);
      expect(await storedOrders(rig, account)).toEqual({ rows: want, distinct: want });
      const done = await rig.db.selectFrom("job_runs").selectAll().executeTakeFirstOrThrow();
      expect(done).toMatchObject({ state: "succeeded", attempts: 1, error_code: null });
      expect((await second.status({ accountId: account }))[0]).toMatchObject({ lastErrorCode: null });
    }, 120_000);
  });
}

const postgres = STORES.find((s) => s.name === "postgres");
describe.skipIf(postgres?.skip ?? true)("sync job at shutdown, pg-boss runner on postgres", () => {
  it("stop() aborts the running sync within moments; pg-boss retries it without using up a try", async () => {
    const { rig, sandbox, account } = await world("postgres");
    const logs = capturingLogger("info");
    const runner = (): JobRunner => {
      const created = createPgBossRunner({
        database: rig.rig.protection.data.database,
        connectionString: rig.rig.protection.data.location,
        clock: rig.rig.clock,
        logger: logs.logger,
        tickMs: MS.hour,
        pollingIntervalSeconds: 0.5,
        poolSize: 3,
      });
      registerAmazonJobs(
        created,
        { sync: rig.engine(), clientSecret: notUsed },
        { rotateClientSecret: false },
      );
      runners.push(created);
      return created;
    };
    const queued = async () =>
      (
        await sql<{ state: string; retry_count: number; retry_limit: number }>`
          SELECT state::text AS state, retry_count, retry_limit FROM sp_jobs.job WHERE name = ${JOB.sync}`.execute(
          rig.db,
        )
      ).rows;
    const first = runner();
    await scheduleAmazonJobs(first, rig.db, { rotateClientSecret: false });
    await first.start();
    await sandbox.held;
    expect(await timedStop(first)).toBeLessThan(PROMPT_MS);
    sandbox.release();
    // Queued again; the stopped try got one more allowed (sync allows 3 tries: retry_limit 2).
    expect(await queued()).toEqual([{ state: "retry", retry_count: 0, retry_limit: 3 }]);
    expect((await first.status({ accountId: account }))[0]).toMatchObject({
      lastErrorCode: null,
      pending: true,
    });
    expect(logs.text()).toContain("job interrupted; queued again");

    // pg-boss's retry delay is real time; the test lets it pass rather than wait a minute.
    await sql`UPDATE sp_jobs.job SET start_after = now() WHERE name = ${JOB.sync}`.execute(rig.db);
    const second = runner();
    await second.start();
    const deadline = Date.now() + 60_000;
    while ((await queued())[0]?.state !== "completed") {
      if (Date.now() > deadline) throw new Error("the retried sync did not complete");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const want = sandboxOrderCount(rig);
    expect(await storedOrders(rig, account)).toEqual({ rows: want, distinct: want });
    expect((await second.status({ accountId: account }))[0]).toMatchObject({ lastErrorCode: null });
  }, 120_000);
});
