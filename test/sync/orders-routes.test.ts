// The orders API on both stores, through the real app: filters and paging, buyer data masked until a
// purpose-bound reveal that expires, roles and another organisation's account refused, every read audited.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MS } from "../../src/platform/clock.js";
import { upsertOrders } from "../../src/sync/orders-repo.js";
import { type AuthWorld, type Browser, openAuthWorld } from "../support/auth-world.js";
import { CANARY, item, order, pii } from "../support/orders.js";
import { STORES } from "../support/stores.js";

/** 30 orders over 30 days: every third FBA, every fifth shipped, FBM ones with buyer data. */
function fixtures() {
  return Array.from({ length: 30 }, (_, i) => {
    const n = String(i).padStart(7, "0");
    const fba = i % 3 === 0;
    const day = `2026-10-${String(i + 1).padStart(2, "0")}`;
    return order({
      amazonOrderId: `111-${n}-0000001`,
      source: "api",
      fulfillmentChannel: fba ? "FBA" : "FBM",
      status: i % 5 === 0 ? "SHIPPED" : "UNSHIPPED",
      purchaseDate: `${day}T10:00:00.000Z`,
      lastUpdatedAt: `${day}T10:05:00.000Z`,
      items: [item({ itemKey: `oi-${i}`, orderItemId: `oi-${i}`, sku: i === 7 ? "MUG-RED" : `SKU-${i}` })],
      pii: fba ? null : pii(),
    });
  });
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`orders API on ${target.name}`, () => {
    let w: AuthWorld;
    const as = {} as Record<"owner" | "fulfillment" | "analyst" | "viewer", Browser>;
    let base: string;

    beforeAll(async () => {
      w = await openAuthWorld(target.name);
      for (const role of ["owner", "fulfillment", "analyst", "viewer"] as const) {
        as[role] = await w.signIn(await w.person(role, w.orgA, w.a1));
      }
      const now = w.t.clock.now();
      const stored = await upsertOrders(w.t.db, w.t.fields, w.a1, fixtures(), { now, shippingEnabled: true });
      expect(stored.inserted).toBe(30);
      // The same order id in another account (and another organisation) must never show up under a1.
      await upsertOrders(
        w.t.db,
        w.t.fields,
        w.b1,
        [order({ amazonOrderId: "999-0000000-0000001", pii: pii() })],
        {
          now,
          shippingEnabled: true,
        },
      );
      base = `/api/accounts/${w.a1}`;
    }, 120_000);
    afterAll(async () => {
      await w?.t.close();
    });

    const get = (url: string, who: Browser) => w.call({ method: "GET", url, as: who });

    it("lists orders newest first with filters, search by order id or SKU, and stable keyset paging", async () => {
      const all = await get(`${base}/orders?limit=200`, as.viewer);
      expect(all.statusCode).toBe(200);
      const ids = all.json().orders.map((o: { amazonOrderId: string }) => o.amazonOrderId);
      expect(ids).toHaveLength(30);
      expect(ids[0]).toBe("111-0000029-0000001");
      expect(all.json().nextCursor).toBeNull();

      const fba = (await get(`${base}/orders?channel=FBA&limit=200`, as.viewer)).json().orders;
      expect(fba).toHaveLength(10);
      expect(fba.every((o: { fulfillmentChannel: string }) => o.fulfillmentChannel === "FBA")).toBe(true);
      const shipped = (await get(`${base}/orders?status=SHIPPED,CANCELLED`, as.viewer)).json().orders;
      expect(shipped).toHaveLength(6);
      const range = (await get(`${base}/orders?from=2026-10-05&to=2026-10-08`, as.viewer)).json().orders;
      expect(range.map((o: { amazonOrderId: string }) => o.amazonOrderId)).toEqual([
        "111-0000006-0000001",
        "111-0000005-0000001",
        "111-0000004-0000001",
      ]);
      const bySku = (await get(`${base}/orders?search=MUG-`, as.viewer)).json().orders;
      expect(bySku.map((o: { amazonOrderId: string }) => o.amazonOrderId)).toEqual(["111-0000007-0000001"]);
      const byId = (await get(`${base}/orders?search=111-000001`, as.viewer)).json().orders;
      expect(byId).toHaveLength(10);
      // "%" is matched literally, not as a wildcard.
      expect((await get(`${base}/orders?search=%25`, as.viewer)).json().orders).toEqual([]);
      // A NUL (which PostgreSQL refuses in any text) or another control character is bad input, not a 500.
      for (const bad of ["%00", "MUG%00", "a%1Fb"]) {
        const refused = await get(`${base}/orders?search=${bad}`, as.viewer);
        expect(refused.statusCode, bad).toBe(400);
        expect(refused.json().error.code).toBe("VALIDATION_FAILED");
      }

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(
          `${base}/orders?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
          as.viewer,
        );
        expect(res.statusCode).toBe(200);
        seen.push(...res.json().orders.map((o: { amazonOrderId: string }) => o.amazonOrderId));
        cursor = res.json().nextCursor;
      } while (cursor);
      expect(seen).toEqual(ids);
    });

    it("bounds the page size and refuses malformed filters with a validation error", async () => {
      for (const query of [
        "limit=201",
        "limit=0",
        "status=shipped",
        "channel=AFN",
        "from=yesterday",
        "cursor=%7B",
      ]) {
        const res = await get(`${base}/orders?${query}`, as.viewer);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().error.code, query).toBe("VALIDATION_FAILED");
      }
    });

    it("never carries buyer data in a list, and masks it in an order until a reveal", async () => {
      for (const who of Object.values(as)) {
        const res = await get(`${base}/orders?limit=200`, who);
        expect(res.body).not.toContain(CANARY);
      }
      const res = await get(`${base}/orders/111-0000001-0000001`, as.fulfillment);
      expect(res.statusCode).toBe(200);
      expect(res.json().buyer).toBeNull();
      expect(res.json().reveal).toBeNull();
      expect(res.json().order.hasBuyerData).toBe(true);
      expect(res.json().items[0].sku).toBe("SKU-1");
      expect(res.body).not.toContain(CANARY);
    });

    it("reveals buyer data only with a purpose, for 15 minutes, audited per order", async () => {
      const url = `${base}/orders/111-0000002-0000001`;
      const post = (body: unknown, who: Browser = as.fulfillment) =>
        w.call({ method: "POST", url: `${url}/reveal`, as: who, body });
      for (const body of [{}, { purpose: "curiosity" }, { purpose: "" }]) {
        const refused = await post(body);
        expect(refused.statusCode, JSON.stringify(body)).toBe(403);
        expect(refused.json().error.code).toBe("REVEAL_PURPOSE_REQUIRED");
      }
      expect((await get(`${url}/packing-slip`, as.fulfillment)).json().error.code).toBe(
        "REVEAL_PURPOSE_REQUIRED",
      );
      const revealed = await post({ purpose: "ship_order", note: "label for the courier" });
      expect(revealed.statusCode).toBe(200);
      expect(revealed.json().buyer.addressLine1).toContain(CANARY);
      expect(revealed.json().reveal.purpose).toBe("ship_order");

      // The reveal is the user's own: the owner still sees the order masked.
      expect((await get(url, as.owner)).json().buyer).toBeNull();
      expect((await get(url, as.fulfillment)).json().buyer.buyerName).toContain(CANARY);
      const slip = await get(`${url}/packing-slip`, as.fulfillment);
      expect(slip.statusCode).toBe(200);
      expect(slip.json().buyer.city).toBe("Seattle");

      w.t.clock.advance(15 * MS.minute + MS.second);
      const later = await get(url, as.fulfillment);
      expect(later.json().buyer).toBeNull();
      expect(later.body).not.toContain(CANARY);
      const expired = await get(`${url}/packing-slip`, as.fulfillment);
      expect(expired.statusCode).toBe(403);
      expect(expired.json().error.code).toBe("REVEAL_EXPIRED");

      const entries = await w.t.db
        .selectFrom("audit_entries")
        .select(["action", "outcome", "target", "reason"])
        .where("action", "in", ["pii.reveal", "pii.read"])
        .execute();
      const text = JSON.stringify(entries);
      expect(text).toContain("111-0000002-0000001");
      expect(text).toContain("ship_order");
      expect(text).toContain("REVEAL_EXPIRED");
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain("courier");
    });

    it("refuses reveals to roles without orders:read_pii, of FBA orders, and of unknown orders", async () => {
      const body = { purpose: "customer_service" };
      for (const who of [as.analyst, as.viewer]) {
        const res = await w.call({
          method: "POST",
          url: `${base}/orders/111-0000001-0000001/reveal`,
          as: who,
          body,
        });
        expect(res.statusCode).toBe(403);
        expect(res.json().error.code).toBe("FORBIDDEN");
      }
      const fba = await w.call({
        method: "POST",
        url: `${base}/orders/111-0000003-0000001/reveal`,
        as: as.owner,
        body,
      });
      expect(fba.statusCode).toBe(409);
      expect(fba.json().error.code).toBe("ORDER_NOT_FBM");
      // Another account's order id is simply not found in this account.
      const other = await w.call({
        method: "POST",
        url: `${base}/orders/999-0000000-0000001/reveal`,
        as: as.owner,
        body,
      });
      expect(other.statusCode).toBe(404);
      expect(other.json().error.code).toBe("ORDER_NOT_FOUND");
      expect(other.body).not.toContain(CANARY);
    });

    it("an API token reads orders within its scopes and cannot reveal without orders:read_pii", async () => {
      const created = await w.call({
        method: "POST",
        url: "/api/tokens",
        as: as.owner,
        body: { name: "orders script", accountIds: [w.a1], permissions: ["orders:read"], ttlDays: 1 },
      });
      expect(created.statusCode, created.body).toBe(201);
      const bearer = created.json().token as string;
      const list = await w.call({ method: "GET", url: `${base}/orders?limit=5`, bearer });
      expect(list.statusCode).toBe(200);
      expect(list.json().orders).toHaveLength(5);
      const reveal = await w.call({
        method: "POST",
        url: `${base}/orders/111-0000001-0000001/reveal`,
        bearer,
        body: { purpose: "ship_order" },
      });
      expect(reveal.statusCode).toBe(403);
      expect(reveal.json().error.code).toBe("FORBIDDEN");
      // Its owner could reveal, but the token's scope is what counts; the order stays masked for it.
      expect(
        (await w.call({ method: "GET", url: `${base}/orders/111-0000001-0000001`, bearer })).json().buyer,
      ).toBeNull();
      expect((await w.call({ method: "GET", url: `/api/accounts/${w.a2}/orders`, bearer })).statusCode).toBe(
        404,
      );
    });

    it("answers 404 for another organisation's account and 403 for the wrong role", async () => {
      for (const path of ["orders", "orders/999-0000000-0000001", "fbm-queue", "dashboard", "finances"]) {
        const res = await get(`/api/accounts/${w.b1}/${path}`, as.owner);
        expect(res.statusCode, path).toBe(404);
        expect(res.json().error.code).toBe("ACCOUNT_NOT_FOUND");
        expect(res.body).not.toContain("999-0000000");
      }
      expect((await get(`${base}/fbm-queue`, as.viewer)).statusCode).toBe(403);
      expect((await get(`${base}/fbm-queue`, as.analyst)).statusCode).toBe(403);
    });

    it("queues unshipped FBM orders and refuses to ship without an SP-API client (nothing changed)", async () => {
      const queue = await get(`${base}/fbm-queue?limit=200`, as.fulfillment);
      expect(queue.statusCode).toBe(200);
      const orders = queue.json().orders as { fulfillmentChannel: string; status: string }[];
      expect(orders).toHaveLength(16);
      expect(orders.every((o) => o.fulfillmentChannel === "FBM" && o.status === "UNSHIPPED")).toBe(true);
      expect(queue.body).not.toContain(CANARY);

      const ship = await w.call({
        method: "POST",
        url: `${base}/orders/111-0000004-0000001/ship`,
        as: as.fulfillment,
        body: { carrier: "UPS", trackingNumber: "1Z999AA10123456784" },
      });
      expect(ship.statusCode).toBe(503);
      expect(ship.json().error.code).toBe("NOT_READY");
      expect((await get(`${base}/orders/111-0000004-0000001`, as.fulfillment)).json().order.status).toBe(
        "UNSHIPPED",
      );
      // A shipped or FBA order cannot ship; a viewer may not ship at all.
      for (const [id, who, code] of [
        ["111-0000005-0000001", as.owner, "ORDER_NOT_SHIPPABLE"],
        ["111-0000003-0000001", as.owner, "ORDER_NOT_SHIPPABLE"],
        ["111-0000004-0000001", as.viewer, "FORBIDDEN"],
      ] as const) {
        const res = await w.call({
          method: "POST",
          url: `${base}/orders/${id}/ship`,
          as: who,
          body: { carrier: "UPS", trackingNumber: "1Z1" },
        });
        expect(res.json().error.code, id).toBe(code);
      }
    });
  });
}
