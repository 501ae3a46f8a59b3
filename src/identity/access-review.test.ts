import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { type IdentityWorld, OPERATOR, openIdentityWorld, userActor } from "../../test/support/identity.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { createAccessReviews, listOverdueReviews, REVIEW_INTERVAL_MS } from "./access-review.js";
import { findMembership } from "./memberships-repo.js";
import { createSessions } from "./sessions.js";

const open: IdentityWorld[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.p.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`access reviews on ${target.name}`, () => {
    async function world() {
      const w = await openIdentityWorld(target.name);
      open.push(w);
      const reviews = createAccessReviews({
        db: w.db,
        clock: w.p.clock,
        audit: w.audit,
        authorizer: w.authorizer,
        identity: w.identity,
      });
      return { w, reviews };
    }

    it("lists each (user, account, role), confirms or revokes each, and leaves the evidence in the audit log", async () => {
      const { w, reviews } = await world();
      const owner = userActor(w.users.owner);
      await w.identity.grantRole(OPERATOR, { userId: w.users.owner, accountId: w.a2, role: "owner" });
      const { review, items } = await reviews.open(owner, w.orgA);
      expect(items.map((i) => [i.userId, i.accountId, i.role]).sort()).toEqual(
        [
          ...(["owner", "admin", "analyst", "fulfillment", "viewer"] as const).map((r) => [
            w.users[r],
            w.a1,
            r,
          ]),
          [w.users.owner, w.a2, "owner"],
        ].sort(),
      );
      await expect(reviews.open(owner, w.orgA)).rejects.toMatchObject({ code: "REVIEW_ALREADY_OPEN" });

      const sessions = createSessions({
        db: w.db,
        clock: w.p.clock,
        audit: w.audit,
        csrfKey: randomBytes(32),
      });
      await sessions.start(w.users.analyst);
      const byUser = new Map(items.map((i) => [i.userId, i]));
      const analystItem = byUser.get(w.users.analyst);
      if (!analystItem) throw new Error("no analyst item");
      for (const item of items) {
        if (item.id !== analystItem.id) await reviews.decide(owner, item.id, "confirm");
      }
      await expect(reviews.complete(owner, review.id)).rejects.toMatchObject({ code: "REVIEW_INCOMPLETE" });
      await reviews.decide(owner, analystItem.id, "revoke");
      expect(await findMembership(w.db, w.users.analyst, w.a1)).toBeNull();
      expect(
        await w.db.selectFrom("sessions").selectAll().where("user_id", "=", w.users.analyst).execute(),
      ).toEqual([]);
      await expect(reviews.decide(owner, analystItem.id, "confirm")).rejects.toMatchObject({
        code: "REVIEW_ITEM_DECIDED",
      });
      const done = await reviews.complete(owner, review.id);
      expect(done).toMatchObject({ status: "completed", completedBy: `user:${w.users.owner}` });
      await expect(reviews.decide(owner, analystItem.id, "confirm")).rejects.toMatchObject({
        code: "REVIEW_CLOSED",
      });

      const evidence = w.audit.events.filter((e) => e.action.startsWith("access_review."));
      expect(evidence.map((e) => e.action)).toEqual([
        "access_review.open",
        ...Array(6).fill("access_review.decide"),
        "access_review.complete",
      ]);
      expect(evidence.find((e) => e.target?.decision === "revoked")?.target).toEqual({
        review: review.id,
        item: analystItem.id,
        user: w.users.analyst,
        account: w.a1,
        role: "analyst",
        decision: "revoked",
      });
      expect(evidence.at(-1)?.target).toMatchObject({ confirmed: "5", revoked: "1" });
    });

    it("flags an organisation overdue 90 days after its last completed review (or its creation)", async () => {
      const { w, reviews } = await world();
      const start = w.p.clock.now().getTime();
      expect((await reviews.status(w.orgA)).overdue).toBe(false);
      w.p.clock.set(new Date(start + REVIEW_INTERVAL_MS));
      expect((await reviews.status(w.orgA)).overdue).toBe(false);
      w.p.clock.advance(1);
      expect(await reviews.status(w.orgA)).toMatchObject({ overdue: true, lastCompletedAt: null });
      expect((await listOverdueReviews(w.db, w.p.clock.now())).map((s) => s.organisationId).sort()).toEqual(
        [w.orgA, w.orgB].sort(),
      );

      const { review, items } = await reviews.open(OPERATOR, w.orgA);
      expect((await reviews.status(w.orgA)).openReviewId).toBe(review.id);
      for (const item of items) await reviews.decide(OPERATOR, item.id, "confirm");
      await reviews.complete(OPERATOR, review.id);
      const completedAt = w.p.clock.now().getTime();
      expect(await reviews.status(w.orgA)).toMatchObject({
        overdue: false,
        openReviewId: null,
        dueAt: new Date(completedAt + REVIEW_INTERVAL_MS).toISOString(),
      });
      expect((await listOverdueReviews(w.db, w.p.clock.now())).map((s) => s.organisationId)).toEqual([
        w.orgB,
      ]);
      w.p.clock.advance(89 * MS.day);
      expect((await reviews.status(w.orgA)).overdue).toBe(false);
      w.p.clock.advance(MS.day + 1);
      expect((await reviews.status(w.orgA)).overdue).toBe(true);
    });

    it("is performed only by those allowed on every account, and keeps the last owner", async () => {
      const { w, reviews } = await world();
      await w.identity.grantRole(OPERATOR, { userId: w.users.analyst, accountId: w.a2, role: "analyst" });
      await expect(reviews.open(userActor(w.users.analyst), w.orgA)).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
      // The admin holds access_review:perform on a1 but has no role on a2: the review would show a2's team.
      await expect(reviews.open(userActor(w.users.admin), w.orgA)).rejects.toMatchObject({
        code: "ACCOUNT_NOT_FOUND",
      });
      await expect(reviews.open(userActor(w.users.owner), w.orgB)).rejects.toMatchObject({
        code: "ACCOUNT_NOT_FOUND",
      });
      const { items } = await reviews.open(OPERATOR, w.orgA);
      const ownerItem = items.find((i) => i.role === "owner");
      if (!ownerItem) throw new Error("no owner item");
      await w.identity.grantRole(OPERATOR, { userId: w.users.admin, accountId: w.a2, role: "admin" });
      await expect(reviews.decide(userActor(w.users.admin), ownerItem.id, "revoke")).rejects.toMatchObject({
        code: "ROLE_ESCALATION",
      });
      await expect(reviews.decide(userActor(w.users.owner), ownerItem.id, "revoke")).rejects.toMatchObject({
        code: "LAST_OWNER",
      });
      // Refused decisions change nothing: the item is still open for a decision.
      await expect(reviews.decide(userActor(w.users.owner), ownerItem.id, "confirm")).resolves.toMatchObject({
        decision: "confirmed",
      });
      expect(await findMembership(w.db, w.users.owner, w.a1)).toMatchObject({ role: "owner" });
    });
  });
}
