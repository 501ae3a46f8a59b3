import { afterEach, describe, expect, it } from "vitest";
import { SYNC_JOB } from "../../src/sync/sync-job.js";
import { type AuthWorld, openAuthWorld } from "../support/auth-world.js";
import { STORES } from "../support/stores.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`sync routes on ${target.name}`, () => {
    let w: AuthWorld;
    afterEach(async () => {
      await w.t.close();
    });

    it("queues one sync per account for sync:run holders, shows its schedule, and refuses the rest", async () => {
      w = await openAuthWorld(target.name, { jobs: true });
      const jobs = w.t.jobs;
      if (!jobs) throw new Error("the test app has a job runner");
      const ran: string[] = [];
      jobs.register(SYNC_JOB, async (job) => {
        ran.push(`${job.accountId}:${String(job.payload.full)}`);
      });
      const owner = await w.signIn(await w.person("owner", w.orgA, w.a1));
      const viewer = await w.signIn(await w.person("viewer", w.orgA, w.a1));
      const url = `/api/accounts/${w.a1}/sync`;

      const first = await w.call({ method: "POST", url, as: owner, body: { full: true } });
      expect(first.statusCode).toBe(202);
      expect(first.json()).toMatchObject({ queued: true, jobId: expect.any(String) });
      // One queued or running sync per account: a second request is answered, not stacked.
      const second = await w.call({ method: "POST", url, as: owner, body: {} });
      expect(second.json()).toEqual({ queued: false, jobId: null });

      expect((await w.call({ method: "POST", url, as: viewer, body: {} })).statusCode).toBe(403);
      expect(
        (await w.call({ method: "POST", url: `/api/accounts/${w.b1}/sync`, as: owner, body: {} })).statusCode,
      ).toBe(404);
      expect((await w.call({ method: "POST", url, body: {} })).statusCode).toBe(401);

      expect(await jobs.runDue()).toBe(1);
      expect(ran).toEqual([`${w.a1}:true`]);
      const after = await w.call({ method: "POST", url, as: owner, body: {} });
      expect(after.json()).toMatchObject({ queued: true });

      await jobs.schedule(SYNC_JOB, { accountId: w.a1, everyMs: 900_000 });
      await jobs.pauseAccount(w.a1, "SPAPI_AUTHORIZATION_REVOKED");
      const status = await w.call({ method: "GET", url, as: viewer });
      expect(status.statusCode).toBe(200);
      expect(status.json()).toMatchObject({ everyMs: 900_000, pausedCode: "SPAPI_AUTHORIZATION_REVOKED" });
      const refused = await w.call({ method: "POST", url, as: owner, body: {} });
      expect(refused.json().error.code).toBe("SPAPI_AUTHORIZATION_REVOKED");
    });
  });
}
