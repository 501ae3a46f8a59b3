import { afterEach, describe, expect, it } from "vitest";
import { type IdentityWorld, openIdentityWorld, userActor } from "../../test/support/identity.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { createPiiReveal, REVEAL_NOTE_MAX, REVEAL_PURPOSES, REVEAL_TTL_MS } from "./pii-reveal.js";

const open: IdentityWorld[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.p.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`PII reveal on ${target.name}`, () => {
    async function setup() {
      const w = await openIdentityWorld(target.name);
      open.push(w);
      const reveal = createPiiReveal({
        authorizer: w.authorizer,
        fields: w.p.fields,
        audit: w.audit,
        clock: w.p.clock,
      });
      return { w, reveal, shipper: userActor(w.users.fulfillment) };
    }

    it("needs a purpose from the fixed list, then grants one order for 15 minutes", async () => {
      const { w, reveal, shipper } = await setup();
      const order = "123-4567890-1234567";
      for (const purpose of [undefined, "", "curiosity", "SHIP_ORDER", 7]) {
        await expect(
          reveal.grant(w.db, shipper, { accountId: w.a1, orderId: order, purpose }),
        ).rejects.toMatchObject({
          code: "REVEAL_PURPOSE_REQUIRED",
        });
      }
      await expect(reveal.checkReveal(w.db, shipper, w.a1, order)).rejects.toMatchObject({
        code: "REVEAL_PURPOSE_REQUIRED",
      });
      const grant = await reveal.grant(w.db, shipper, {
        accountId: w.a1,
        orderId: order,
        purpose: "ship_order",
        note: "Jane Buyer asked to ship to her office",
      });
      expect(grant.expiresAt).toBe(new Date(w.p.clock.now().getTime() + REVEAL_TTL_MS).toISOString());
      expect(REVEAL_TTL_MS).toBe(15 * MS.minute);
      await expect(reveal.checkReveal(w.db, shipper, w.a1, order)).resolves.toMatchObject({
        grant: { id: grant.id, purpose: "ship_order" },
      });
      // Per order: the grant does not open another order.
      await expect(reveal.checkReveal(w.db, shipper, w.a1, "999-0000000-0000000")).rejects.toMatchObject({
        code: "REVEAL_PURPOSE_REQUIRED",
      });
      w.p.clock.advance(REVEAL_TTL_MS - 1);
      await expect(reveal.checkReveal(w.db, shipper, w.a1, order)).resolves.toBeDefined();
      w.p.clock.advance(1);
      await expect(reveal.checkReveal(w.db, shipper, w.a1, order)).rejects.toMatchObject({
        code: "REVEAL_EXPIRED",
      });

      // The note is sealed at rest and never reaches the audit log.
      const row = await w.db.selectFrom("pii_reveal_grants").selectAll().executeTakeFirstOrThrow();
      expect(row.note).toMatch(/^sp1:v1:/);
      expect(
        await w.p.fields.open(
          { accountId: w.a1, table: "pii_reveal_grants", column: "note", rowId: grant.id },
          row.note ?? "",
        ),
      ).toBe("Jane Buyer asked to ship to her office");
      expect(JSON.stringify(w.audit.events)).not.toContain("Jane");
      const granted = w.audit.events.find((e) => e.action === "pii.reveal" && e.outcome === "success");
      expect(granted).toEqual({
        action: "pii.reveal",
        actor: `user:${w.users.fulfillment}`,
        outcome: "success",
        target: { account: w.a1, order, purpose: "ship_order", grant: grant.id, expires: grant.expiresAt },
      });
      expect(w.audit.events.filter((e) => e.outcome === "denied").map((e) => e.reason)).toEqual([
        ...Array(6).fill("REVEAL_PURPOSE_REQUIRED"),
        "REVEAL_PURPOSE_REQUIRED",
        "REVEAL_EXPIRED",
      ]);
    });

    it("is refused to roles without orders:read_pii and to other organisations", async () => {
      const { w, reveal } = await setup();
      const request = { accountId: w.a1, orderId: "111-1111111-1111111", purpose: "customer_service" };
      for (const who of [w.users.analyst, w.users.viewer]) {
        await expect(reveal.grant(w.db, userActor(who), request)).rejects.toMatchObject({
          code: "FORBIDDEN",
        });
      }
      await expect(reveal.grant(w.db, userActor(w.users.outsider), request)).rejects.toMatchObject({
        code: "ACCOUNT_NOT_FOUND",
      });
      expect(await w.db.selectFrom("pii_reveal_grants").selectAll().execute()).toEqual([]);
    });

    it("ends with the role: a live grant stops working once the role loses the permission", async () => {
      const { w, reveal, shipper } = await setup();
      const order = "222-2222222-2222222";
      await reveal.grant(w.db, shipper, { accountId: w.a1, orderId: order, purpose: "return_processing" });
      await w.identity.grantRole(userActor(w.users.owner), {
        userId: w.users.fulfillment,
        accountId: w.a1,
        role: "viewer",
      });
      await expect(reveal.checkReveal(w.db, shipper, w.a1, order)).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
    });

    it("bounds the note and the order id", async () => {
      const { w, reveal, shipper } = await setup();
      const base = { accountId: w.a1, orderId: "333-3333333-3333333", purpose: REVEAL_PURPOSES[2] };
      await expect(
        reveal.grant(w.db, shipper, { ...base, note: "x".repeat(REVEAL_NOTE_MAX + 1) }),
      ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
      await expect(reveal.grant(w.db, shipper, { ...base, orderId: "1; DROP TABLE" })).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
      });
      await expect(
        reveal.grant(w.db, shipper, { ...base, note: "x".repeat(REVEAL_NOTE_MAX) }),
      ).resolves.toMatchObject({
        purpose: "tax_invoice",
      });
    });
  });
}
