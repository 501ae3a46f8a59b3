import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCliCaptured } from "../../test/support/cli.js";
import { capturingLogger } from "../../test/support/log-capture.js";
import { delivered, storeOrders } from "../../test/support/retention.js";
import { createPostgresDatabase, STORES, type StoreName, tempDir } from "../../test/support/stores.js";
import { createSellerAccount } from "../accounts/accounts-repo.js";
import { loadConfig } from "../config/config.js";
import { MS, systemClock } from "../platform/clock.js";
import { openRuntime } from "../runtime.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function instance(store: StoreName) {
  const tmp = tempDir("sp-cli-retention-");
  cleanups.push(() => tmp.remove());
  const pg = store === "postgres" ? await createPostgresDatabase() : null;
  if (pg) cleanups.push(() => pg.drop());
  const env = {
    SELLER_PILOT_DATA_DIR: path.join(tmp.dir, "data"),
    SELLER_PILOT_LOG_LEVEL: "warn",
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
  const cli = (argv: string[]) => runCliCaptured(argv, { env, cwd: tmp.dir });
  return { cli, env, dir: tmp.dir };
}

describe("seller-pilot retention (CLI)", () => {
  it("documents its subcommands and exits 2 on usage errors", async () => {
    const { cli } = await instance("sqlite");
    const help = await cli(["retention", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("run");
    expect(help.stdout).toContain("status");
    for (const argv of [
      ["retention", "run", "--at", "tomorrow"],
      ["retention", "status", "--at", "2026-13-45"],
      ["retention", "bogus"],
    ]) {
      expect((await cli(argv)).code, argv.join(" ")).toBe(2);
    }
  });
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`seller-pilot retention on ${target.name}`, () => {
    it("status counts overdue buyer data as of --at; run purges it and prints the receipt", async () => {
      const { cli, env, dir } = await instance(target.name);
      // Seed through the real runtime: one FBM order delivered yesterday, with buyer data.
      const now = systemClock.now();
      const deliveredAt = new Date(now.getTime() - MS.day);
      const rt = await openRuntime({
        config: loadConfig(env, dir),
        clock: systemClock,
        logger: capturingLogger("warn").logger,
      });
      try {
        const account = await createSellerAccount(
          rt.database.db,
          rt.fields,
          { name: "A", region: "na" },
          now,
        );
        await storeOrders(
          rt.database.db,
          rt.fields,
          account.id,
          [delivered("111-0000010-0000001", deliveredAt.toISOString())],
          now,
        );
      } finally {
        await rt.close();
      }
      const at = (days: number) => new Date(deliveredAt.getTime() + days * MS.day).toISOString();

      const before = await cli(["retention", "status", "--at", at(29), "--json"]);
      expect(before.code).toBe(0);
      const pii = (s: { dataTypes: Array<{ type: string }> }) =>
        s.dataTypes.find((t) => t.type === "buyer_pii");
      expect(pii(before.json())).toMatchObject({ type: "buyer_pii", records: 1, overdue: 0 });
      expect(before.json().dataTypes.map((t: { type: string }) => t.type)).toContain("audit_records");

      const due = await cli(["retention", "status", "--at", at(31), "--json"]);
      expect(pii(due.json())).toMatchObject({ records: 1, overdue: 1 });

      const run = await cli(["retention", "run", "--at", at(31), "--json"]);
      expect(run.code).toBe(0);
      expect(run.json().receipt.deleted.buyer_pii).toBe(1);
      expect(run.json().receiptHash).toMatch(/^[0-9a-f]{64}$/);
      expect(run.stderr).toContain("buyer_pii: 1/1 (100%)");

      const text = await cli(["retention", "run", "--at", at(31)]);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain("buyer_pii: 0 deleted");

      const after = await cli(["retention", "status", "--at", at(31), "--json"]);
      expect(pii(after.json())).toMatchObject({ records: 0, overdue: 0 });
      expect(after.json().lastRun).toMatchObject({ status: "completed" });

      const exported = await cli(["audit", "export", "--since", now.toISOString().slice(0, 10)]);
      const receipts = exported.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .filter((e) => e.action === "retention.receipt");
      expect(receipts).toHaveLength(2);
      expect(receipts[0].target.receipt).toBe(run.json().receiptHash);
    });
  });
}
