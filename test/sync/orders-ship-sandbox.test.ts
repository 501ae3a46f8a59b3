// FBM shipping end to end over real sockets: the app's ship route calls confirmShipment through the real
// SP-API client against the sandbox, and only after Amazon accepted marks the order shipped in the store.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrderRecord } from "../../sandbox/data-generator.js";
import { refreshTokenSecretName } from "../../src/amazon/lwa.js";
import { createConnectService } from "../../src/connect/connect-service.js";
import { upsertOrders } from "../../src/sync/orders-repo.js";
import { type AuthWorld, type Browser, openAuthWorld } from "../support/auth-world.js";
import { item, order, pii } from "../support/orders.js";
import { ALL_FEATURES, openSpApiRig, type SpApiRig } from "../support/spapi.js";
import { STORES } from "../support/stores.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`shipping an FBM order to the sandbox on ${target.name}`, () => {
    let rig: SpApiRig;
    let w: AuthWorld;
    let fulfillment: Browser;
    let unshipped: OrderRecord;

    beforeAll(async () => {
      rig = await openSpApiRig(target.name, { sandbox: { orders: 3_000 } });
      const sandbox = rig.h.running.sandbox;
      const connect = createConnectService({
        db: rig.protection.data.database.db,
        fields: rig.protection.fields,
        secrets: rig.protection.secrets,
        lwa: rig.lwa,
        client: rig.client,
        audit: { record: async (e) => void rig.events.push(e) },
        clock: rig.clock,
        applicationId: sandbox.applicationId,
        region: "na",
        consentUrl: rig.h.running.consentUrl,
        beta: true,
        redirectUri: "https://localhost:8443/api/connect/callback",
      });
      w = await openAuthWorld(target.name, { amazon: { client: rig.client, connect } });
      // Our account a1 is the sandbox's seller 0: its refresh token in the client's secrets store.
      rig.features.set(w.a1, [...ALL_FEATURES]);
      await rig.protection.secrets.put(refreshTokenSecretName(w.a1), sandbox.sellers[0]?.refreshToken ?? "", {
        accountId: w.a1,
        actor: "test",
      });
      const data = sandbox.context.data;
      const seller = data.sellers[0];
      if (!seller) throw new Error("no seller");
      const orders = Array.from({ length: data.countFor(seller) }, (_, j) => data.orderOf(seller, j));
      const found = orders.find((o) => o.fulfilledBy === "MERCHANT" && o.status === "UNSHIPPED");
      if (!found) throw new Error("the sandbox generated no unshipped FBM order");
      unshipped = found;
      const created = new Date(found.createdMs).toISOString();
      await upsertOrders(
        w.t.db,
        w.t.fields,
        w.a1,
        [
          order({
            amazonOrderId: found.orderId,
            source: "api",
            marketplace: found.marketplace.id,
            purchaseDate: created,
            lastUpdatedAt: new Date(found.lastUpdatedMs).toISOString(),
            items: found.items.map((i) =>
              item({
                itemKey: i.orderItemId,
                orderItemId: i.orderItemId,
                sku: i.product.sellerSku,
                quantity: i.quantity,
              }),
            ),
            pii: pii(),
          }),
        ],
        { now: w.t.clock.now(), shippingEnabled: true },
      );
      fulfillment = await w.signIn(await w.person("fulfillment", w.orgA, w.a1));
    }, 120_000);
    afterAll(async () => {
      await w?.t.close();
      await rig?.dispose();
    });

    it("confirms the shipment with Amazon, then shows the order shipped and out of the FBM queue", async () => {
      const base = `/api/accounts/${w.a1}`;
      const queued = await w.call({ method: "GET", url: `${base}/fbm-queue`, as: fulfillment });
      expect(queued.json().orders.map((o: { amazonOrderId: string }) => o.amazonOrderId)).toContain(
        unshipped.orderId,
      );
      const ship = await w.call({
        method: "POST",
        url: `${base}/orders/${unshipped.orderId}/ship`,
        as: fulfillment,
        body: { carrier: "UPS", trackingNumber: "1Z999AA10123456784" },
      });
      expect(ship.statusCode, ship.body).toBe(200);
      expect(ship.json().order.status).toBe("SHIPPED");
      expect(ship.json().buyer).toBeNull();

      // Amazon's side: the sandbox recorded the shipment with our tracking number.
      const after = rig.h.running.sandbox.context.data.findOrder(unshipped.orderId);
      expect(after?.status).toBe("SHIPPED");
      expect(after?.shipment?.trackingNumber).toBe("1Z999AA10123456784");
      expect(after?.shipment?.carrier).toBe("UPS");
      expect(
        rig.events.some((e) => e.action === "spapi.call" && e.target?.operation === "confirmShipment"),
      ).toBe(true);

      const queue = await w.call({ method: "GET", url: `${base}/fbm-queue`, as: fulfillment });
      expect(queue.json().orders.map((o: { amazonOrderId: string }) => o.amazonOrderId)).not.toContain(
        unshipped.orderId,
      );
      const audit = await w.t.db
        .selectFrom("audit_entries")
        .select(["outcome", "target"])
        .where("action", "=", "orders.ship")
        .execute();
      expect(audit).toEqual([expect.objectContaining({ outcome: "success" })]);

      // Amazon refuses a second confirmation (already shipped); we refuse it before asking.
      const again = await w.call({
        method: "POST",
        url: `${base}/orders/${unshipped.orderId}/ship`,
        as: fulfillment,
        body: { carrier: "UPS", trackingNumber: "1Z999AA10123456784" },
      });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe("ORDER_NOT_SHIPPABLE");
    });

    it("keeps the order unshipped when Amazon refuses the confirmation", async () => {
      const data = rig.h.running.sandbox.context.data;
      const seller = data.sellers[0];
      if (!seller) throw new Error("no seller");
      const orders = Array.from({ length: data.countFor(seller) }, (_, j) => data.orderOf(seller, j));
      // An order Amazon knows as shipped already, stored here as unshipped (a stale copy).
      const shipped = orders.find((o) => o.fulfilledBy === "MERCHANT" && o.status === "SHIPPED");
      if (!shipped) throw new Error("no shipped FBM order");
      await upsertOrders(
        w.t.db,
        w.t.fields,
        w.a1,
        [
          order({
            amazonOrderId: shipped.orderId,
            source: "api",
            marketplace: shipped.marketplace.id,
            items: shipped.items.map((i) =>
              item({ itemKey: i.orderItemId, orderItemId: i.orderItemId, quantity: i.quantity }),
            ),
          }),
        ],
        { now: w.t.clock.now(), shippingEnabled: true },
      );
      const res = await w.call({
        method: "POST",
        url: `/api/accounts/${w.a1}/orders/${shipped.orderId}/ship`,
        as: fulfillment,
        body: { carrier: "DHL", trackingNumber: "JD0002" },
      });
      expect(res.statusCode).toBe(502);
      expect(res.json().error.code).toBe("SPAPI_REQUEST_REFUSED");
      const view = await w.call({
        method: "GET",
        url: `/api/accounts/${w.a1}/orders/${shipped.orderId}`,
        as: fulfillment,
      });
      expect(view.json().order.status).toBe("UNSHIPPED");
      const failures = await w.t.db
        .selectFrom("audit_entries")
        .select(["reason"])
        .where("action", "=", "orders.ship")
        .where("outcome", "=", "failure")
        .execute();
      expect(failures).toEqual([{ reason: "SPAPI_REQUEST_REFUSED" }]);
    });
  });
}
