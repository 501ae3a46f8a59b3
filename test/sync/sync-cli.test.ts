// `seller-pilot sync` as an operator runs it in demo mode: the command starts its own sandbox from the
// instance's credential seed (the same sellers, tokens and history as the server's) and syncs one account.
import { afterEach, describe, expect, it } from "vitest";
import { startDemoMode } from "../../src/demo/demo-mode.js";
import { type Cleanups, cliInstance } from "../support/identity-cli.js";
import { STORES } from "../support/stores.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`seller-pilot sync on ${target.name}`, () => {
    const cleanups: Cleanups = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    it("backfills with progress on stderr and a summary, and a second run finds nothing new", async () => {
      const inst = await cliInstance(target.name, cleanups);
      const accountIds = await inst.withRt(async (rt, services) => {
        const demo = await startDemoMode(rt, services, { publicUrl: "https://sp.example", orders: 20 });
        await demo.close();
        return demo.accountIds;
      });
      const account = accountIds[0] as string;

      const first = await inst.cli(["sync", "--account", account, "--json"]);
      expect(first.code, first.stderr.slice(-2000)).toBe(0);
      const summary = first.json();
      expect(summary).toMatchObject({ accountId: account, ok: true });
      const byStream = Object.fromEntries(
        (summary.streams as Array<{ stream: string; status: string; inserted: number }>).map((s) => [
          s.stream,
          s,
        ]),
      );
      expect(Object.keys(byStream).sort()).toEqual(["finances", "inventory", "orders", "pricing"]);
      expect(byStream.orders).toMatchObject({ status: "ok" });
      expect(byStream.orders?.inserted).toBeGreaterThan(500);
      expect(byStream.finances?.inserted).toBeGreaterThan(0);
      // Progress is on stderr (stdout stays JSON): the backfill's bar reaches its end.
      expect(first.stderr).toMatch(/orders backfill \[#{24}\] 100% (\d+)\/\1/);

      const second = await inst.cli(["sync", "--account", account, "--json"]);
      expect(second.code).toBe(0);
      for (const s of second.json().streams as Array<{ stream: string; inserted: number }>) {
        expect([s.stream, s.inserted]).toEqual([s.stream, 0]);
      }

      const text = await inst.cli(["sync", "--account", account, "--streams", "inventory"]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^Sync of \S+ finished in [\d.]+ s\.\n {2}inventory {2}ok: [^\n]*\n$/);
    }, 180_000);

    it("refuses an unknown account or stream with its code, before starting anything", async () => {
      const inst = await cliInstance(target.name, cleanups);
      const unknown = await inst.cli(["sync", "--account", "no-such-account", "--json"]);
      expect(unknown.code).toBe(1);
      expect(unknown.json().error.code).toBe("ACCOUNT_NOT_FOUND");
      const stream = await inst.cli(["sync", "--account", "x", "--streams", "orders,gossip", "--json"]);
      expect(stream.code).toBe(1);
      expect(stream.json().error.code).toBe("VALIDATION_FAILED");
    });
  });
}
