// The Amazon jobs on the real in-process runner: each account's sync on its schedule over the real client and
// sandbox, a revoked authorization pausing the account's jobs, re-authorization resuming them.
import { afterEach, describe, expect, it } from "vitest";
import { refreshTokenSecretName } from "../../src/amazon/lwa.js";
import {
  JOB,
  onAccountConnected,
  registerAmazonJobs,
  SYNC_EVERY_MS,
  scheduleAmazonJobs,
} from "../../src/background-jobs.js";
import { recordAuthorization } from "../../src/connect/connect-repo.js";
import { createInProcessRunner } from "../../src/jobs/in-process-runner.js";
import type { JobRunner } from "../../src/jobs/jobs-types.js";
import { capturingLogger } from "../support/log-capture.js";
import { STORES } from "../support/stores.js";
import { openSyncRig, type SyncRig } from "../support/sync-rig.js";

const notUsed = {
  requestIfDue: async () => {
    throw new Error("client secret rotation is not scheduled in this test");
  },
} as never;

for (const target of STORES) {
  describe.skipIf(target.skip)(`Amazon background jobs on ${target.name}`, () => {
    let r: SyncRig;
    let runner: JobRunner;
    afterEach(async () => {
      await runner.stop();
      await r.dispose();
    });

    it("syncs each active account on schedule, pauses a revoked one, and resumes it on re-authorization", async () => {
      r = await openSyncRig(target.name, { sandbox: { orders: 300 } });
      const a = await r.connect(0);
      const b = await r.connect(1);
      runner = createInProcessRunner({
        database: r.rig.protection.data.database,
        clock: r.rig.clock,
        logger: capturingLogger().logger,
      });
      registerAmazonJobs(runner, { sync: r.engine(), clientSecret: notUsed }, { rotateClientSecret: false });
      await scheduleAmazonJobs(runner, r.db, { rotateClientSecret: false });
      const orders = async (accountId: string) =>
        Number(
          (
            await r.db
              .selectFrom("orders")
              .select((eb) => eb.fn.countAll().as("n"))
              .where("account_id", "=", accountId)
              .executeTakeFirstOrThrow()
          ).n,
        );

      expect(await runner.runDue()).toBe(2);
      expect(await orders(a)).toBeGreaterThan(0);
      expect(await orders(b)).toBeGreaterThan(0);
      const status = await runner.status({ accountId: a });
      expect(status).toEqual([
        expect.objectContaining({ name: JOB.sync, everyMs: SYNC_EVERY_MS, lastErrorCode: null }),
      ]);
      expect(status[0]?.lastSuccessAt).not.toBeNull();
      // The next run is one interval after this one fired (a backfill itself takes Amazon minutes).
      expect(Date.parse(status[0]?.nextRunAt ?? "")).toBeGreaterThan(Date.parse(status[0]?.lastRunAt ?? ""));

      // The seller removes the app at Amazon: the next scheduled sync marks the account and pauses its jobs.
      await r.rig.h.admin({ revoke: r.rig.sellingPartnerId(0) });
      r.rig.advance(SYNC_EVERY_MS);
      await runner.runDue();
      expect(await runner.pausedAccounts()).toEqual([
        expect.objectContaining({ accountId: a, code: "SPAPI_AUTHORIZATION_REVOKED" }),
      ]);
      const revoked = await r.db
        .selectFrom("seller_accounts")
        .select("status")
        .where("id", "=", a)
        .executeTakeFirstOrThrow();
      expect(revoked.status).toBe("authorization_revoked");
      // A restart keeps it paused; the other account goes on.
      await scheduleAmazonJobs(runner, r.db, { rotateClientSecret: false });
      r.rig.advance(SYNC_EVERY_MS);
      expect(await runner.runDue()).toBe(1);
      expect((await runner.status({ accountId: b }))[0]?.lastErrorCode).toBeNull();

      // Re-authorized (a fresh grant at Amazon, the connect flow records it): resumed, synced at once.
      const consent = new URL(r.rig.h.running.consentUrl);
      consent.searchParams.set("application_id", r.rig.h.running.sandbox.applicationId);
      consent.searchParams.set("state", "s1");
      consent.searchParams.set("selling_partner_id", r.rig.sellingPartnerId(0));
      const back = new URL((await fetch(consent, { redirect: "manual" })).headers.get("location") ?? "");
      const grant = await r.rig.lwa.exchangeAuthorizationCode(
        back.searchParams.get("spapi_oauth_code") ?? "",
        `${back.origin}${back.pathname}`,
      );
      await r.rig.protection.secrets.put(refreshTokenSecretName(a), grant.refreshToken, {
        accountId: a,
        actor: "test",
      });
      await recordAuthorization(r.db, a, { features: ["orders_sales"] }, r.rig.clock.now());
      await onAccountConnected(runner, a);
      expect(await runner.pausedAccounts()).toEqual([]);
      const ran = await runner.runDue();
      expect(ran).toBeGreaterThanOrEqual(1);
      const resumed = (await runner.status({ accountId: a }))[0];
      expect(resumed?.pausedCode).toBeNull();
      expect(Date.parse(resumed?.lastSuccessAt ?? "")).toBeGreaterThan(
        Date.parse(resumed?.lastErrorAt ?? ""),
      );
    }, 120_000);
  });
}
