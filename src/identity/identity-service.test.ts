import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { type IdentityWorld, OPERATOR, openIdentityWorld, userActor } from "../../test/support/identity.js";
import { STORES } from "../../test/support/stores.js";
import { PERMISSIONS } from "../access/permissions.js";
import { MS } from "../platform/clock.js";
import { createApiTokens } from "./api-tokens.js";
import { findMembership, putMembership } from "./memberships-repo.js";
import { createSessions } from "./sessions.js";
import { findUser } from "./users-repo.js";

const open: IdentityWorld[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.p.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`identity service on ${target.name}`, () => {
    async function world() {
      const w = await openIdentityWorld(target.name);
      open.push(w);
      const sessions = createSessions({
        db: w.db,
        clock: w.p.clock,
        audit: w.audit,
        csrfKey: randomBytes(32),
      });
      const tokens = createApiTokens({
        db: w.db,
        clock: w.p.clock,
        audit: w.audit,
        permissions: PERMISSIONS,
      });
      /** A live session and a live API token for the user, through the real credential modules. */
      async function credentials(userId: string) {
        await sessions.start(userId);
        await tokens.create(
          { id: "s-1", userId, mfaVerified: true },
          { name: "script", scopes: { accounts: [w.a1], permissions: ["orders:read"] }, ttlMs: MS.day },
        );
      }
      async function live(userId: string) {
        const s = await w.db.selectFrom("sessions").select("id").where("user_id", "=", userId).execute();
        const t = await w.db
          .selectFrom("api_tokens")
          .select("id")
          .where("user_id", "=", userId)
          .where("revoked_at", "is", null)
          .execute();
        return { sessions: s.length, tokens: t.length };
      }
      return { w, credentials, live };
    }

    it("disabling a user ends their sessions and API tokens at once and refuses them everywhere", async () => {
      const { w, credentials, live } = await world();
      await credentials(w.users.analyst);
      await credentials(w.users.viewer);
      expect(await live(w.users.analyst)).toEqual({ sessions: 1, tokens: 1 });
      await w.identity.disableUser(userActor(w.users.admin), w.users.analyst);
      expect(await live(w.users.analyst)).toEqual({ sessions: 0, tokens: 0 });
      expect(await live(w.users.viewer)).toEqual({ sessions: 1, tokens: 1 });
      expect(await findUser(w.db, w.users.analyst)).toMatchObject({ status: "disabled" });
      await expect(
        w.authorizer.authorize(w.db, userActor(w.users.analyst), "orders:read", w.a1),
      ).rejects.toMatchObject({ code: "USER_DISABLED" });
      expect(w.audit.events.find((e) => e.action === "user.disable")).toEqual({
        action: "user.disable",
        actor: `user:${w.users.admin}`,
        outcome: "success",
        target: { user: w.users.analyst },
      });
    });

    it("removing or narrowing a role ends the user's credentials; widening it does not", async () => {
      const { w, credentials, live } = await world();
      const owner = userActor(w.users.owner);
      await credentials(w.users.viewer);
      await w.identity.grantRole(owner, { userId: w.users.viewer, accountId: w.a1, role: "analyst" });
      expect(await live(w.users.viewer)).toEqual({ sessions: 1, tokens: 1 });
      await w.identity.grantRole(owner, { userId: w.users.viewer, accountId: w.a1, role: "viewer" });
      expect(await live(w.users.viewer)).toEqual({ sessions: 0, tokens: 0 });

      await credentials(w.users.fulfillment);
      await w.identity.removeRole(owner, { userId: w.users.fulfillment, accountId: w.a1 });
      expect(await findMembership(w.db, w.users.fulfillment, w.a1)).toBeNull();
      expect(await live(w.users.fulfillment)).toEqual({ sessions: 0, tokens: 0 });
      await expect(
        w.identity.removeRole(owner, { userId: w.users.fulfillment, accountId: w.a1 }),
      ).rejects.toMatchObject({ code: "MEMBERSHIP_NOT_FOUND" });
      expect(
        w.audit.events.filter((e) => e.action.startsWith("team.role")).map((e) => e.target?.role),
      ).toEqual(["analyst", "viewer", "fulfillment", undefined]);
    });

    it("keeps at least one active owner on every account", async () => {
      const { w } = await world();
      const owner = userActor(w.users.owner);
      const last = { userId: w.users.owner, accountId: w.a1 };
      await expect(w.identity.removeRole(owner, last)).rejects.toMatchObject({
        code: "LAST_OWNER",
        status: 409,
      });
      await expect(w.identity.grantRole(owner, { ...last, role: "admin" })).rejects.toMatchObject({
        code: "LAST_OWNER",
      });
      await expect(w.identity.disableUser(OPERATOR, w.users.owner)).rejects.toMatchObject({
        code: "LAST_OWNER",
      });
      expect(await findMembership(w.db, w.users.owner, w.a1)).toMatchObject({ role: "owner" });
      expect(await findUser(w.db, w.users.owner)).toMatchObject({ status: "active" });

      // A second owner who is disabled does not count; an active one does.
      await w.identity.grantRole(owner, { userId: w.users.admin, accountId: w.a1, role: "owner" });
      await w.identity.disableUser(OPERATOR, w.users.admin);
      await expect(w.identity.removeRole(owner, last)).rejects.toMatchObject({ code: "LAST_OWNER" });
      await w.identity.grantRole(owner, { userId: w.users.viewer, accountId: w.a1, role: "owner" });
      await w.identity.removeRole(owner, last);
      expect(await findMembership(w.db, w.users.owner, w.a1)).toBeNull();
      expect(w.audit.events.filter((e) => e.reason === "LAST_OWNER")).toHaveLength(4);
    });

    it("keeps an owner when the last two are removed at the same moment", async () => {
      const { w } = await world();
      await w.identity.grantRole(OPERATOR, { userId: w.users.admin, accountId: w.a1, role: "owner" });
      const results = await Promise.allSettled([
        w.identity.removeRole(OPERATOR, { userId: w.users.owner, accountId: w.a1 }),
        w.identity.removeRole(OPERATOR, { userId: w.users.admin, accountId: w.a1 }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
      const rejected = results.find((r) => r.status === "rejected");
      expect(rejected?.status === "rejected" && rejected.reason).toMatchObject({ code: "LAST_OWNER" });
      const owners = await w.db
        .selectFrom("memberships")
        .select("user_id")
        .where("seller_account_id", "=", w.a1)
        .where("role", "=", "owner")
        .execute();
      expect(owners).toHaveLength(1);
    });

    it("lets nobody grant, change or remove a role above their own", async () => {
      const { w } = await world();
      const admin = userActor(w.users.admin);
      await expect(
        w.identity.grantRole(admin, { userId: w.users.viewer, accountId: w.a1, role: "owner" }),
      ).rejects.toMatchObject({ code: "ROLE_ESCALATION" });
      await expect(
        w.identity.grantRole(admin, { userId: w.users.admin, accountId: w.a1, role: "owner" }),
      ).rejects.toMatchObject({ code: "ROLE_ESCALATION" });
      await expect(
        w.identity.removeRole(admin, { userId: w.users.owner, accountId: w.a1 }),
      ).rejects.toMatchObject({
        code: "ROLE_ESCALATION",
      });
      await expect(w.identity.disableUser(admin, w.users.owner)).rejects.toMatchObject({
        code: "ROLE_ESCALATION",
      });
      await expect(
        w.identity.grantRole(userActor(w.users.analyst), {
          userId: w.users.viewer,
          accountId: w.a1,
          role: "viewer",
        }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      expect(await findMembership(w.db, w.users.owner, w.a1)).toMatchObject({ role: "owner" });
      expect(await findMembership(w.db, w.users.viewer, w.a1)).toMatchObject({ role: "viewer" });
      await expect(
        w.identity.grantRole(admin, { userId: w.users.viewer, accountId: w.a1, role: "fulfillment" }),
      ).resolves.toMatchObject({ role: "fulfillment", grantedBy: `user:${w.users.admin}` });
    });

    it("never reaches across organisations", async () => {
      const { w } = await world();
      const owner = userActor(w.users.owner);
      await expect(
        w.identity.grantRole(owner, { userId: w.users.outsider, accountId: w.a1, role: "viewer" }),
      ).rejects.toMatchObject({ code: "USER_NOT_FOUND" });
      await expect(
        w.identity.grantRole(owner, { userId: w.users.viewer, accountId: w.b1, role: "viewer" }),
      ).rejects.toMatchObject({ code: "ACCOUNT_NOT_FOUND" });
      await expect(w.identity.disableUser(owner, w.users.outsider)).rejects.toMatchObject({
        code: "USER_NOT_FOUND",
      });
      await expect(
        w.identity.grantRole(OPERATOR, { userId: w.users.outsider, accountId: w.a1, role: "viewer" }),
      ).rejects.toMatchObject({
        code: "USER_NOT_FOUND",
      });
      expect(await findUser(w.db, w.users.outsider)).toMatchObject({ status: "active" });
      expect(await findMembership(w.db, w.users.outsider, w.a1)).toBeNull();
    });

    it("creates organisations and users as an audited operator", async () => {
      const { w } = await world();
      const org = await w.identity.createOrganisation(OPERATOR, "Third agency");
      const user = await w.identity.createUser(OPERATOR, {
        organisationId: org.id,
        email: "Lead@Third.Example",
        displayName: "Lead",
      });
      await putMembership(
        w.db,
        { userId: user.id, accountId: w.a2, role: "viewer", grantedBy: "t" },
        w.p.clock.now(),
      );
      // A membership planted on another organisation's account still gives nothing.
      await expect(
        w.authorizer.authorize(w.db, userActor(user.id), "orders:read", w.a2),
      ).rejects.toMatchObject({
        code: "ACCOUNT_NOT_FOUND",
      });
      expect(w.audit.events.slice(0, 2)).toEqual([
        {
          action: "organisation.create",
          actor: "operator:test",
          outcome: "success",
          target: { organisation: org.id },
        },
        {
          action: "user.create",
          actor: "operator:test",
          outcome: "success",
          target: { user: user.id, organisation: org.id },
        },
      ]);
    });
  });
}
