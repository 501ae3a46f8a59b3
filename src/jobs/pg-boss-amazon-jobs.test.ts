// The Amazon jobs on the pg-boss runner: two worker "processes" on one PostgreSQL database sync each account
// once per schedule over the real client and sandbox, and a revoked authorization pauses the account's jobs.
import { afterEach, describe, expect, it } from "vitest";
import { capturingLogger } from "../../test/support/log-capture.js";
import { STORES } from "../../test/support/stores.js";
import { openSyncRig, type SyncRig } from "../../test/support/sync-rig.js";
import { registerAmazonJobs, SYNC_EVERY_MS, scheduleAmazonJobs } from "../background-jobs.js";
import { MS } from "../platform/clock.js";
import type { JobRunner } from "./jobs-types.js";
import { createPgBossRunner } from "./pg-boss-runner.js";

const postgres = STORES.find((s) => s.name === "postgres");

const notUsed = {
  requestIfDue: async () => {
    throw new Error("client secret rotation is not scheduled in this test");
  },
} as never;

async function until<T>(probe: () => Promise<T | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(postgres?.skip ?? true)("Amazon background jobs on pg-boss on postgres", () => {
  let r: SyncRig | undefined;
  const runners: JobRunner[] = [];
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop({ timeoutMs: 5000 });
    await r?.dispose();
  });

  it("syncs each account once per schedule across two processes and pauses a revoked one", async () => {
    const rig = await openSyncRig("postgres", { sandbox: { orders: 300 } });
    r = rig;
    const a = await rig.connect(0);
    const b = await rig.connect(1);
    for (let i = 0; i < 2; i += 1) {
      const runner = createPgBossRunner({
        database: rig.rig.protection.data.database,
        connectionString: rig.rig.protection.data.location,
        clock: rig.rig.clock,
        logger: capturingLogger().logger,
        tickMs: MS.hour,
        pollingIntervalSeconds: 0.5,
      });
      registerAmazonJobs(
        runner,
        { sync: rig.engine(), clientSecret: notUsed },
        { rotateClientSecret: false },
      );
      runners.push(runner);
    }
    const [p1, p2] = runners as [JobRunner, JobRunner];
    await Promise.all([p1.start(), p2.start()]);
    await scheduleAmazonJobs(p2, rig.db, { rotateClientSecret: false });
    const fired = await Promise.all([p1.runDue(), p2.runDue()]);
    expect(fired[0] + fired[1]).toBe(2);
    const synced = async () => {
      const all = await p1.status();
      return all.length === 2 && all.every((s) => s.lastSuccessAt !== null && !s.pending) ? all : undefined;
    };
    const first = await until(synced, "both accounts' first sync");
    expect(first.map((s) => s.lastErrorCode)).toEqual([null, null]);
    const orders = async (accountId: string) =>
      Number(
        (
          await rig.db
            .selectFrom("orders")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("account_id", "=", accountId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await orders(a)).toBeGreaterThan(0);
    expect(await orders(b)).toBeGreaterThan(0);

    // The seller removes the app at Amazon: the next scheduled sync marks the account and pauses its jobs.
    await rig.rig.h.admin({ revoke: rig.rig.sellingPartnerId(0) });
    rig.rig.advance(SYNC_EVERY_MS);
    const again = await Promise.all([p1.runDue(), p2.runDue()]);
    expect(again[0] + again[1]).toBe(2);
    const paused = await until(async () => {
      const list = await p2.pausedAccounts();
      return list.length > 0 ? list : undefined;
    }, "the pause");
    expect(paused).toEqual([expect.objectContaining({ accountId: a, code: "SPAPI_AUTHORIZATION_REVOKED" })]);
    const account = await rig.db
      .selectFrom("seller_accounts")
      .select("status")
      .where("id", "=", a)
      .executeTakeFirstOrThrow();
    expect(account.status).toBe("authorization_revoked");
    await until(async () => (await p1.status()).every((s) => !s.pending), "the second round");
    // Paused: the next slot fires only the other account's sync.
    rig.rig.advance(SYNC_EVERY_MS);
    const third = await Promise.all([p1.runDue(), p2.runDue()]);
    expect(third[0] + third[1]).toBe(1);
    const [statusA] = await p1.status({ accountId: a });
    expect(statusA).toMatchObject({
      pausedCode: "SPAPI_AUTHORIZATION_REVOKED",
      lastErrorCode: "SPAPI_AUTHORIZATION_REVOKED",
    });
  }, 120_000);
});
