// Aborting a sync while a request to Amazon is in flight (the real client, the real sandbox over a socket, a
// real store): the run ends at once with SYNC_ABORTED, what it stored stays, and the next run completes it.
import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { listCheckpoints } from "../../src/sync/sync-checkpoints-repo.js";
import { hangingSandbox, sandboxOrderCount, storedOrders } from "../support/hanging-sandbox.js";
import { STORES } from "../support/stores.js";
import { openSyncRig, type SyncRig } from "../support/sync-rig.js";

const open: SyncRig[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`sync abort on ${target.name}`, () => {
    it("an abort with requests hanging at Amazon ends the backfill at once; the rerun stores exactly the rest", async () => {
      const sandbox = hangingSandbox({ orders: 1_500, sellers: 1, seed: 13 });
      const r = await openSyncRig(target.name, { sandbox: sandbox.options });
      open.push(r);
      const account = await r.connect(0);
      const controller = new AbortController();
      const running = r.engine().run(account, {
        streams: ["orders"],
        signal: controller.signal,
        onProgress: (p) => {
          // A few windows stored and checkpointed, then Amazon stops answering.
          if (p.phase === "backfill" && p.done >= 3) sandbox.hang();
        },
      });
      await sandbox.held;
      const t0 = performance.now();
      controller.abort();
      const stopped = await running;
      const tookMs = performance.now() - t0;
      sandbox.release();

      expect(stopped).toMatchObject({ ok: false, errorCode: "SYNC_ABORTED" });
      expect(stopped.streams).toEqual([
        expect.objectContaining({ stream: "orders", status: "failed", errorCode: "SYNC_ABORTED" }),
      ]);
      // Not the transport's 10 s timeout, nor its retries: the requests in flight were cut.
      expect(tookMs).toBeLessThan(2_000);
      const aborted = r.rig.events.filter(
        (e) => e.action === "spapi.call" && e.outcome === "failure" && e.reason === "SYNC_ABORTED",
      );
      expect(aborted.length).toBeGreaterThan(0);
      const partial = await storedOrders(r, account);
      expect(partial.rows).toBeGreaterThan(0);
      const want = sandboxOrderCount(r);
      expect(partial.rows).toBeLessThan(want);
      const doneWindows = (await listCheckpoints(r.db, account)).filter((c) =>
        c.cursor?.includes('"done":true'),
      );
      expect(doneWindows.length).toBeGreaterThanOrEqual(3);

      // With Amazon's 15 reports in flight the run's listeners exceed Node's default of 10 without a warning,
      // and none is left on the caller's signal afterwards.
      const warnings: Error[] = [];
      const onWarning = (w: Error) => warnings.push(w);
      process.on("warning", onWarning);
      const signal = new AbortController().signal;
      const rerun = await r
        .engine({ tuning: { reportConcurrency: 15 } })
        .run(account, { streams: ["orders"], signal })
        .finally(() => process.off("warning", onWarning));
      expect(rerun.ok).toBe(true);
      expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
      expect(getEventListeners(signal, "abort")).toHaveLength(0);
      expect(await storedOrders(r, account)).toEqual({ rows: want, distinct: want });
      // Resumed from the checkpoints: the finished windows' orders were not inserted again.
      expect(rerun.streams[0]?.inserted).toBe(want - partial.rows);
    }, 120_000);
  });
}
