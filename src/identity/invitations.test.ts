import { afterEach, describe, expect, it } from "vitest";
import { type IdentityWorld, OPERATOR, openIdentityWorld, userActor } from "../../test/support/identity.js";
import { STORES } from "../../test/support/stores.js";
import { hashInvitationToken, INVITATION_TTL_MS } from "./invitations.js";
import { findMembership } from "./memberships-repo.js";

const open: IdentityWorld[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.p.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`invitations on ${target.name}`, () => {
    async function world() {
      const w = await openIdentityWorld(target.name);
      open.push(w);
      return w;
    }

    it("are single use: the first acceptance creates the user and the role, a replay changes nothing", async () => {
      const w = await world();
      const { token, invitation } = await w.identity.invite(userActor(w.users.admin), {
        accountId: w.a1,
        email: "New.Hire@Agency.Example",
        role: "fulfillment",
      });
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const stored = await w.db.selectFrom("invitations").selectAll().executeTakeFirstOrThrow();
      expect(stored.token_hash).toBe(hashInvitationToken(token));
      expect(JSON.stringify(stored)).not.toContain(token);
      expect(stored.email).toBe("new.hire@agency.example");

      const { user } = await w.identity.acceptInvitation(token, { displayName: "New Hire" });
      expect(user).toMatchObject({ email: "new.hire@agency.example", organisationId: w.orgA });
      expect(await findMembership(w.db, user.id, w.a1)).toMatchObject({
        role: "fulfillment",
        grantedBy: `user:${w.users.admin}`,
      });
      await expect(w.identity.acceptInvitation(token, { displayName: "Again" })).rejects.toMatchObject({
        code: "INVITATION_USED",
      });
      expect(
        await w.db.selectFrom("users").select("id").where("email", "=", user.email).execute(),
      ).toHaveLength(1);
      const accepts = w.audit.events.filter((e) => e.action === "invitation.accept");
      expect(accepts.map((e) => e.outcome)).toEqual(["success", "denied"]);
      expect(accepts[1]).toMatchObject({ reason: "INVITATION_USED", target: { invitation: invitation.id } });
      expect(JSON.stringify(w.audit.events)).not.toContain("new.hire");
    });

    it("expire by the clock: valid until the last millisecond, refused after", async () => {
      const w = await world();
      const first = await w.identity.invite(OPERATOR, {
        accountId: w.a2,
        email: "a@agency.example",
        role: "viewer",
      });
      const second = await w.identity.invite(OPERATOR, {
        accountId: w.a2,
        email: "b@agency.example",
        role: "viewer",
      });
      w.p.clock.advance(INVITATION_TTL_MS - 1);
      await expect(w.identity.acceptInvitation(first.token, { displayName: "A" })).resolves.toBeDefined();
      w.p.clock.advance(1);
      await expect(w.identity.acceptInvitation(second.token, { displayName: "B" })).rejects.toMatchObject({
        code: "INVITATION_EXPIRED",
        status: 410,
      });
      expect(
        await w.db.selectFrom("users").select("id").where("email", "=", "b@agency.example").execute(),
      ).toEqual([]);
    });

    it("refuse tokens of every wrong shape and unknown tokens alike", async () => {
      const w = await world();
      for (const bad of ["", "x", "a".repeat(43), "a".repeat(44), "../../etc/passwd", "a".repeat(10_000)]) {
        await expect(w.identity.acceptInvitation(bad, { displayName: "X" })).rejects.toMatchObject({
          code: "INVITATION_INVALID",
        });
      }
    });

    it("cannot escalate: an admin cannot invite an owner, an analyst cannot invite at all", async () => {
      const w = await world();
      await expect(
        w.identity.invite(userActor(w.users.admin), {
          accountId: w.a1,
          email: "boss@agency.example",
          role: "owner",
        }),
      ).rejects.toMatchObject({ code: "ROLE_ESCALATION" });
      await expect(
        w.identity.invite(userActor(w.users.analyst), {
          accountId: w.a1,
          email: "x@agency.example",
          role: "viewer",
        }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(
        w.identity.invite(userActor(w.users.owner), {
          accountId: w.b1,
          email: "x@agency.example",
          role: "viewer",
        }),
      ).rejects.toMatchObject({ code: "ACCOUNT_NOT_FOUND" });
      await expect(
        w.identity.invite(userActor(w.users.owner), {
          accountId: w.a1,
          email: "x@agency.example",
          role: "root",
        }),
      ).rejects.toMatchObject({ code: "ROLE_UNKNOWN" });
      await expect(
        w.identity.invite(userActor(w.users.owner), {
          accountId: w.a1,
          email: "info@agency.example",
          role: "viewer",
        }),
      ).rejects.toMatchObject({ code: "EMAIL_GENERIC" });
      expect(await w.db.selectFrom("invitations").selectAll().execute()).toEqual([]);
      expect(w.audit.events.filter((e) => e.outcome === "denied").map((e) => e.reason)).toEqual([
        "ROLE_ESCALATION",
        "FORBIDDEN",
        "ACCOUNT_NOT_FOUND",
      ]);
    });

    it("will not move a person of another organisation, nor demote someone who already has a role", async () => {
      const w = await world();
      const outsiderEmail = (
        await w.db
          .selectFrom("users")
          .select("email")
          .where("id", "=", w.users.outsider)
          .executeTakeFirstOrThrow()
      ).email;
      const foreign = await w.identity.invite(OPERATOR, {
        accountId: w.a1,
        email: outsiderEmail,
        role: "viewer",
      });
      await expect(w.identity.acceptInvitation(foreign.token, { displayName: "X" })).rejects.toMatchObject({
        code: "EMAIL_TAKEN",
      });
      expect(await findMembership(w.db, w.users.outsider, w.a1)).toBeNull();

      const ownerEmail = (
        await w.db
          .selectFrom("users")
          .select("email")
          .where("id", "=", w.users.owner)
          .executeTakeFirstOrThrow()
      ).email;
      const demote = await w.identity.invite(OPERATOR, {
        accountId: w.a1,
        email: ownerEmail,
        role: "viewer",
      });
      await w.identity.acceptInvitation(demote.token, { displayName: "Owner" });
      expect(await findMembership(w.db, w.users.owner, w.a1)).toMatchObject({ role: "owner" });
    });
  });
}
