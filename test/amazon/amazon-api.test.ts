import { afterEach, describe, expect, it } from "vitest";
import { type SandboxHarness, startHarness } from "../../sandbox/test-harness.js";
import { createAmazonApi } from "../../src/amazon/amazon-api.js";
import { refreshTokenSecretName } from "../../src/amazon/lwa.js";
import { getMarketplaceParticipations } from "../../src/amazon/operations/seller-data.js";
import { systemClock } from "../../src/platform/clock.js";
import type { AppError } from "../../src/platform/errors.js";
import { CLIENT_SECRET_NAME } from "../../src/secrets/client-secret-age.js";
import { INSTANCE_ACCOUNT } from "../../src/secrets/secrets-store.js";
import { openTestProtection, type TestProtection } from "../support/protection.js";
import { STORES } from "../support/stores.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`createAmazonApi wiring on ${target.name}`, () => {
    let h: SandboxHarness;
    let p: TestProtection;
    afterEach(async () => {
      await h.close();
      await p.dispose();
    });

    it("wires the client to the store's buckets, the secrets store and the audit sink", async () => {
      h = await startHarness({ orders: 100 });
      p = await openTestProtection(target.name);
      const sandbox = h.running.sandbox;
      await p.secrets.put(CLIENT_SECRET_NAME, sandbox.clientSecret(), {
        accountId: INSTANCE_ACCOUNT,
        actor: "t",
      });
      await p.secrets.put(refreshTokenSecretName("a1"), sandbox.sellers[0]?.refreshToken as string, {
        accountId: "a1",
        actor: "t",
      });
      const recorded: string[] = [];
      const api = createAmazonApi({
        clientId: sandbox.clientId,
        overrides: { endpoint: h.endpoint, lwaTokenUrl: h.running.lwaTokenUrl },
        secrets: p.secrets,
        database: p.data.database,
        audit: { record: async (e) => void recorded.push(`${e.action}:${e.outcome}`) },
        clock: systemClock,
        accounts: { profile: async () => ({ region: "eu", features: [] }) },
      });
      try {
        expect(await getMarketplaceParticipations(api.client, "a1")).toHaveLength(2);
        expect(recorded).toEqual(["spapi.call:success"]);
        const rows = await p.data.database.db.selectFrom("spapi_rate_buckets").selectAll().execute();
        // PostgreSQL shares the bucket through the table; SQLite keeps it in memory.
        expect(rows).toHaveLength(target.name === "postgres" ? 1 : 0);
        const err = await getMarketplaceParticipations(api.client, "no-token").catch((e: unknown) => e);
        expect((err as AppError).code).toBe("SECRET_NOT_FOUND");
      } finally {
        api.close();
      }
    });
  });
}
