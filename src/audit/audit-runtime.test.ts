import { afterEach, describe, expect, it } from "vitest";
import { capturingLogger } from "../../test/support/log-capture.js";
import { createPostgresDatabase, STORES, type StoreName, tempDir } from "../../test/support/stores.js";
import { loadConfig } from "../config/config.js";
import { ManualClock } from "../platform/clock.js";
import { openRuntime } from "../runtime.js";
import { auditSigner } from "./audit-chain.js";
import { verifyAuditLog } from "./audit-verify.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function configFor(store: StoreName) {
  const tmp = tempDir("sp-audit-rt-");
  cleanups.push(() => tmp.remove());
  const pg = store === "postgres" ? await createPostgresDatabase() : null;
  if (pg) cleanups.push(() => pg.drop());
  return loadConfig({ SELLER_PILOT_DATA_DIR: tmp.dir, ...(pg ? { DATABASE_URL: pg.url } : {}) }, tmp.dir);
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`runtime audit sink on ${target.name}`, () => {
    it("writes to the hash-chained log; close() flushes pending appends and signs the head", async () => {
      const config = await configFor(target.name);
      const clock = new ManualClock("2026-11-28T12:00:00.000Z");
      const first = await openRuntime({ config, clock, logger: capturingLogger("warn").logger });
      // Not awaited: close() must still get every one of them into the store.
      const pending = Array.from({ length: 40 }, (_, i) =>
        first.audit.record({
          action: "test.pending",
          actor: "t",
          outcome: "success",
          target: { n: String(i) },
        }),
      );
      await first.close();
      await Promise.all(pending);

      const second = await openRuntime({ config, clock, logger: capturingLogger("warn").logger });
      cleanups.push(() => second.close());
      const result = await verifyAuditLog(second.database.db, {
        trustedPublicKeys: [auditSigner(second.master.key).publicKey],
      });
      expect(result).toMatchObject({ valid: true, entries: 40, lastSeq: 40, lastCheckpointSeq: 40 });
    });
  });
}
