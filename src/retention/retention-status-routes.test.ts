import { afterEach, describe, expect, it } from "vitest";
import { type AuthWorld, type Browser, openAuthWorld } from "../../test/support/auth-world.js";
import { delivered, fbm, storeOrders } from "../../test/support/retention.js";
import { STORES } from "../../test/support/stores.js";
import { markAccountRevoked } from "../connect/connect-repo.js";
import { MS } from "../platform/clock.js";
import { DATA_TYPES } from "./retention-policy.js";
import { PURGE_SERIES_DAYS } from "./retention-status-routes.js";

const open: AuthWorld[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.t.close();
});

interface Status {
  asOf: string;
  dataTypes: Array<{ type: string; records: number | null; overdue: number | null; held: number | null }>;
  legalHolds: Array<{ id: string; amazonOrderId: string | null; active: boolean }>;
  deletionRequest: { status: string; requestedAt: string; deadline: string } | null;
  scheduledDeletion: {
    reason: string;
    since: string;
    executeAfter: string;
    deadline: string;
    graceDays: number;
    recorded: boolean;
  } | null;
  upcomingPurges: Array<{ day: string; count: number }>;
}

const typeOf = (s: Status, type: string) => s.dataTypes.find((t) => t.type === type);
const countOn = (s: Status, day: string) => s.upcomingPurges.find((p) => p.day === day)?.count;

for (const target of STORES) {
  describe.skipIf(target.skip)(`account retention status on ${target.name}`, () => {
    it("counts the account's records per data type, its holds, deletions and the purges of the next 30 days", async () => {
      const w = await openAuthWorld(target.name, { env: { SELLER_PILOT_ACCOUNT_DELETION_GRACE_DAYS: "30" } });
      open.push(w);
      const { db, fields, clock } = w.t;
      // Clock: 2026-11-28T12:00Z. purge_after is 30 days after delivery.
      const now = clock.now();
      await storeOrders(
        db,
        fields,
        w.a1,
        [
          delivered("111-0000001-0000001", "2026-11-20T08:00:00.000Z"), // purged 2026-12-20
          delivered("111-0000001-0000002", "2026-11-20T09:00:00.000Z"), // 2026-12-20, held below
          delivered("111-0000001-0000004", "2026-11-28T06:00:00.000Z"), // 2026-12-28
        ],
        now,
      );
      // Synced while it was still inside its 30 days; overdue since 2026-10-31.
      await storeOrders(
        db,
        fields,
        w.a1,
        [delivered("111-0000001-0000003", "2026-10-01T08:00:00.000Z")],
        new Date("2026-10-15T00:00:00.000Z"),
      );
      // Another organisation's buyers never show up in this account's figures.
      await storeOrders(
        db,
        fields,
        w.b1,
        [delivered("222-0000001-0000001", "2026-11-20T08:00:00.000Z")],
        now,
      );

      let admin: Browser = await w.signIn(await w.person("admin", w.orgA, w.a1));
      const analyst = await w.signIn(await w.person("analyst", w.orgA, w.a1));
      const url = `/api/accounts/${w.a1}/retention`;
      const get = async (as: Browser, at = url) => {
        const res = await w.call({ method: "GET", url: at, as });
        expect(res.statusCode, res.body).toBe(200);
        return res.json() as Status;
      };

      expect((await w.call({ method: "GET", url, as: analyst })).statusCode).toBe(403);
      expect((await w.call({ method: "GET", url })).statusCode).toBe(401);
      const foreign = await w.call({ method: "GET", url: `/api/accounts/${w.b1}/retention`, as: admin });
      expect(foreign.statusCode).toBe(404);

      const hold = await w.call({
        method: "POST",
        url: `/api/accounts/${w.a1}/legal-holds`,
        as: admin,
        body: { amazonOrderId: "111-0000001-0000002", reason: "chargeback dispute", owner: "legal" },
      });
      expect(hold.statusCode).toBe(201);

      const first = await get(admin);
      expect(first.dataTypes.map((t) => t.type)).toEqual([...DATA_TYPES]);
      expect(typeOf(first, "buyer_pii")).toEqual({ type: "buyer_pii", records: 4, overdue: 1, held: 0 });
      expect(typeOf(first, "order_data")).toMatchObject({ records: 4, overdue: 0 });
      expect(typeOf(first, "account_and_contact_data")).toMatchObject({ records: 1, overdue: 0 });
      expect(typeOf(first, "audit_records")).toMatchObject({ records: null });
      expect(first.legalHolds).toEqual([
        expect.objectContaining({ id: hold.json().id, amazonOrderId: "111-0000001-0000002", active: true }),
      ]);
      expect(first.deletionRequest).toBeNull();
      expect(first.scheduledDeletion).toBeNull();
      expect(first.upcomingPurges).toHaveLength(PURGE_SERIES_DAYS);
      expect(first.upcomingPurges[0]?.day).toBe("2026-11-28");
      expect(first.upcomingPurges.at(-1)?.day).toBe("2026-12-28");
      // The held order is not going anywhere: only its neighbour is purged that day.
      expect(countOn(first, "2026-12-20")).toBe(1);
      expect(countOn(first, "2026-12-28")).toBe(1);
      expect(first.upcomingPurges.reduce((n, p) => n + p.count, 0)).toBe(2);

      // 25 days on: the 20 December purges are due; the held one is kept, not overdue.
      clock.advance(25 * MS.day);
      admin = await w.signIn(await w.person("admin", w.orgA, w.a1));
      const later = await get(admin);
      expect(later.asOf.slice(0, 10)).toBe("2026-12-23");
      expect(typeOf(later, "buyer_pii")).toEqual({ type: "buyer_pii", records: 4, overdue: 2, held: 1 });
      expect(later.upcomingPurges[0]?.day).toBe("2026-12-23");
      expect(countOn(later, "2026-12-28")).toBe(1);
      expect(later.upcomingPurges.reduce((n, p) => n + p.count, 0)).toBe(1);

      // A hold on the whole account keeps everything and empties the purge calendar.
      const accountHold = await w.call({
        method: "POST",
        url: `/api/accounts/${w.a1}/legal-holds`,
        as: admin,
        body: { reason: "regulator inquiry", owner: "legal" },
      });
      expect(accountHold.statusCode).toBe(201);
      const owner = await w.signIn(await w.person("owner", w.orgA, w.a1));
      expect(
        (await w.call({ method: "POST", url: `/api/accounts/${w.a1}/deletion-request`, as: owner }))
          .statusCode,
      ).toBe(201);
      const held = await get(owner);
      expect(typeOf(held, "buyer_pii")).toMatchObject({ overdue: 0, held: 3 });
      expect(held.upcomingPurges.every((p) => p.count === 0)).toBe(true);
      expect(held.deletionRequest?.status).toBe("scheduled");
      expect(Date.parse(held.deletionRequest?.deadline ?? "") - Date.parse(held.asOf)).toBeLessThanOrEqual(
        30 * MS.day,
      );
      // The requested deletion is due, and the account hold is what keeps the account.
      expect(typeOf(held, "account_and_contact_data")).toMatchObject({ records: 1, overdue: 0, held: 1 });

      // A revoked authorization: deletion after the configured grace, at the latest 90 days after.
      const revokedAt = clock.now();
      expect(await markAccountRevoked(db, w.a2, revokedAt)).toBe(true);
      const a2Admin = await w.signIn(await w.person("admin", w.orgA, w.a2));
      const revoked = await get(a2Admin, `/api/accounts/${w.a2}/retention`);
      expect(revoked.scheduledDeletion).toEqual({
        reason: "revocation",
        since: revokedAt.toISOString(),
        executeAfter: new Date(revokedAt.getTime() + 30 * MS.day).toISOString(),
        deadline: new Date(revokedAt.getTime() + 90 * MS.day).toISOString(),
        graceDays: 30,
        recorded: false,
      });
      clock.advance(31 * MS.day);
      const due = await get(
        await w.signIn(await w.person("admin", w.orgA, w.a2)),
        `/api/accounts/${w.a2}/retention`,
      );
      expect(typeOf(due, "account_and_contact_data")).toMatchObject({ overdue: 1, held: 0 });
    });

    it("counts only this account (a sibling's due and held data changes nothing) and dates undelivered purges", async () => {
      const w = await openAuthWorld(target.name);
      open.push(w);
      const { db, fields, clock } = w.t;
      const now = clock.now(); // 2026-11-28T12:00Z
      await storeOrders(
        db,
        fields,
        w.a1,
        [delivered("111-0000002-0000001", "2026-11-20T08:00:00.000Z")],
        now,
      );
      // No delivery reported: deleted 60 days after the latest ship date (2026-10-15 -> 2026-12-14).
      await storeOrders(
        db,
        fields,
        w.a1,
        [fbm("111-0000002-0000002", { status: "UNSHIPPED", latestShipDate: "2026-10-15T10:00:00.000Z" })],
        now,
      );
      const admin = await w.signIn(await w.person("admin", w.orgA, w.a1));
      const read = async () => {
        const res = await w.call({ method: "GET", url: `/api/accounts/${w.a1}/retention`, as: admin });
        expect(res.statusCode, res.body).toBe(200);
        return res.json() as Status;
      };
      const before = await read();
      expect(typeOf(before, "buyer_pii")).toEqual({ type: "buyer_pii", records: 2, overdue: 0, held: 0 });
      expect(countOn(before, "2026-12-20")).toBe(1);
      expect(countOn(before, "2026-12-14")).toBe(1);
      expect(typeOf(before, "application_logs")).toMatchObject({ records: null, overdue: null });

      // The sibling account of the same organisation: overdue buyer data, some of it held, and old orders.
      await storeOrders(
        db,
        fields,
        w.a2,
        [
          delivered("111-0000003-0000001", "2026-09-01T08:00:00.000Z"),
          delivered("111-0000003-0000002", "2026-09-02T08:00:00.000Z"),
        ],
        new Date("2026-09-05T00:00:00.000Z"),
      );
      const siblingAdmin = await w.signIn(await w.person("admin", w.orgA, w.a2));
      const hold = await w.call({
        method: "POST",
        url: `/api/accounts/${w.a2}/legal-holds`,
        as: siblingAdmin,
        body: { reason: "audit", owner: "legal" },
      });
      expect(hold.statusCode).toBe(201);
      const after = await read();
      expect(after.dataTypes).toEqual(before.dataTypes);
      expect(after.upcomingPurges).toEqual(before.upcomingPurges);
    });

    it("an owner's deletion request replaces the schedule a revocation would bring", async () => {
      const w = await openAuthWorld(target.name);
      open.push(w);
      expect(await markAccountRevoked(w.t.db, w.a1, w.t.clock.now())).toBe(true);
      const owner = await w.signIn(await w.person("owner", w.orgA, w.a1));
      const requested = await w.call({
        method: "POST",
        url: `/api/accounts/${w.a1}/deletion-request`,
        as: owner,
      });
      expect(requested.statusCode, requested.body).toBe(201);
      const res = await w.call({ method: "GET", url: `/api/accounts/${w.a1}/retention`, as: owner });
      expect(res.statusCode, res.body).toBe(200);
      const status = res.json() as Status;
      expect(status.deletionRequest?.status).toBe("scheduled");
      expect(status.scheduledDeletion).toBeNull();
    });
  });
}
