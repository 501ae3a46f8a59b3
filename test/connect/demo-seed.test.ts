import { afterEach, describe, expect, it } from "vitest";
import { refreshTokenSecretName } from "../../src/amazon/lwa.js";
import { getMarketplaceParticipations } from "../../src/amazon/operations/seller-data.js";
import { DEMO_FEATURES, DEMO_ORGANISATION, seedDemo } from "../../src/demo/demo-seed.js";
import { STORES } from "../support/stores.js";
import { openRig, type Rig } from "./connect-rig.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`demo mode seed on ${target.name}`, () => {
    let rig: Rig;
    afterEach(async () => {
      await rig.dispose();
    });

    it("connects one active account per sandbox seller in the demo agency, and a second run duplicates nothing", async () => {
      rig = await openRig(target.name);
      const db = rig.protection.data.database.db;
      const sellers = rig.h.running.sandbox.sellers.map((s) => ({
        sellingPartnerId: s.sellingPartnerId,
        refreshToken: s.refreshToken,
      }));
      const deps = { db, clock: rig.clock, connect: rig.connect };
      const first = await seedDemo(deps, sellers);
      expect(first.created).toBe(true);
      expect(first.accounts).toHaveLength(2);
      for (const a of first.accounts) {
        expect(await rig.connect.readConnection(a.accountId)).toMatchObject({
          organisationId: first.organisationId,
          status: "active",
          features: [...DEMO_FEATURES],
        });
        expect(await getMarketplaceParticipations(rig.api.client, a.accountId)).not.toHaveLength(0);
      }
      // No buyer data without FBM shipping: the client refuses before any traffic.
      expect((await rig.connect.profile(first.accounts[0]?.accountId as string)).features).not.toContain(
        "fbm_shipping",
      );

      const second = await seedDemo(deps, sellers);
      expect(second).toMatchObject({ organisationId: first.organisationId, created: false });
      expect(second.accounts.map((a) => a.accountId)).toEqual(first.accounts.map((a) => a.accountId));
      expect(second.accounts.every((a) => a.reauthorized)).toBe(true);
      const orgs = await db.selectFrom("organisations").select("name").execute();
      expect(orgs.filter((o) => o.name === DEMO_ORGANISATION)).toHaveLength(1);
      expect(await db.selectFrom("seller_accounts").select("id").execute()).toHaveLength(2);
      expect(
        await rig.protection.secrets.get(refreshTokenSecretName(first.accounts[1]?.accountId as string), {
          component: "test",
        }),
      ).toBe(sellers[1]?.refreshToken);
    });
  });
}
