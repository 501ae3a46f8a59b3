import { afterEach, describe, expect, it } from "vitest";
import { openTestProtection, type TestProtection } from "../../test/support/protection.js";
import { STORES } from "../../test/support/stores.js";
import { createSellerAccount } from "../accounts/accounts-repo.js";
import {
  addThrottled,
  getCheckpoint,
  listCheckpoints,
  recordSyncError,
  saveCheckpoint,
} from "./sync-checkpoints-repo.js";

const open: TestProtection[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`sync checkpoints on ${target.name}`, () => {
    async function setup() {
      const p = await openTestProtection(target.name);
      open.push(p);
      const db = p.data.database.db;
      const account = await createSellerAccount(db, p.fields, { name: "Brand", region: "na" }, p.clock.now());
      return { p, db, accountId: account.id };
    }

    it("keeps the cursor through errors and throttling, and clears the error on the next success", async () => {
      const { p, db, accountId } = await setup();
      expect(await getCheckpoint(db, accountId, "orders")).toBeNull();
      await saveCheckpoint(db, {
        accountId,
        stream: "orders",
        cursor: "2026-11-28T11:00:00Z",
        now: p.clock.now(),
      });
      p.clock.advance(60_000);
      await recordSyncError(db, {
        accountId,
        stream: "orders",
        code: "SPAPI_UNAVAILABLE",
        now: p.clock.now(),
      });
      await addThrottled(db, { accountId, stream: "orders", count: 3, now: p.clock.now() });
      await addThrottled(db, { accountId, stream: "orders", count: 2, now: p.clock.now() });
      expect(await getCheckpoint(db, accountId, "orders")).toMatchObject({
        cursor: "2026-11-28T11:00:00Z",
        lastSuccessAt: "2026-11-28T12:00:00.000Z",
        lastErrorCode: "SPAPI_UNAVAILABLE",
        lastErrorAt: "2026-11-28T12:01:00.000Z",
        throttledCount: 5,
      });
      p.clock.advance(60_000);
      await saveCheckpoint(db, {
        accountId,
        stream: "orders",
        cursor: "2026-11-28T11:58:00Z",
        now: p.clock.now(),
      });
      expect(await getCheckpoint(db, accountId, "orders")).toMatchObject({
        cursor: "2026-11-28T11:58:00Z",
        lastSuccessAt: "2026-11-28T12:02:00.000Z",
        lastErrorCode: null,
        throttledCount: 5,
      });
      // An error before any success creates the row without a cursor.
      await recordSyncError(db, {
        accountId,
        stream: "inventory",
        code: "SPAPI_THROTTLED",
        now: p.clock.now(),
      });
      expect(
        (await listCheckpoints(db, accountId)).map((c) => [c.stream, c.cursor, c.lastErrorCode]),
      ).toEqual([
        ["inventory", null, "SPAPI_THROTTLED"],
        ["orders", "2026-11-28T11:58:00Z", null],
      ]);
    });

    it("compare-and-set: only the worker holding the expected cursor advances it", async () => {
      const { p, db, accountId } = await setup();
      const now = p.clock.now();
      expect(
        await saveCheckpoint(db, { accountId, stream: "finances", cursor: "A", now, expected: null }),
      ).toBe(true);
      expect(
        await saveCheckpoint(db, { accountId, stream: "finances", cursor: "B", now, expected: null }),
      ).toBe(false);
      expect(
        await saveCheckpoint(db, { accountId, stream: "finances", cursor: "B", now, expected: "A" }),
      ).toBe(true);
      expect(
        await saveCheckpoint(db, { accountId, stream: "finances", cursor: "C", now, expected: "A" }),
      ).toBe(false);
      expect((await getCheckpoint(db, accountId, "finances"))?.cursor).toBe("B");
    });
  });
}
