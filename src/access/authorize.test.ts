import { afterEach, describe, expect, it } from "vitest";
import { type IdentityWorld, openIdentityWorld, userActor } from "../../test/support/identity.js";
import { capturingLogger } from "../../test/support/log-capture.js";
import { expectedAllowed, MATRIX_COLUMNS } from "../../test/support/role-matrix.js";
import { STORES } from "../../test/support/stores.js";
import { loggerAuditSink } from "../audit/audit-sink.js";
import { putMembership } from "../identity/memberships-repo.js";
import { markUserDisabled } from "../identity/users-repo.js";
import { type Actor, createAuthorizer } from "./authorize.js";
import { PERMISSIONS } from "./permissions.js";

const open: IdentityWorld[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.p.dispose();
});

async function world(store: (typeof STORES)[number]["name"]) {
  const w = await openIdentityWorld(store);
  open.push(w);
  return w;
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`authorize on ${target.name}`, () => {
    it("grants exactly the hand-written role matrix on a real store", async () => {
      const w = await world(target.name);
      for (const role of MATRIX_COLUMNS) {
        for (const permission of PERMISSIONS) {
          const attempt = w.authorizer.authorize(w.db, userActor(w.users[role]), permission, w.a1);
          if (expectedAllowed(role, permission)) {
            await expect(attempt, `${role} × ${permission}`).resolves.toMatchObject({
              accountId: w.a1,
              organisationId: w.orgA,
              role,
            });
          } else {
            await expect(attempt, `${role} × ${permission}`).rejects.toMatchObject({
              code: "FORBIDDEN",
              status: 403,
            });
          }
        }
      }
    });

    it("answers another organisation's, an unknown and an unassigned account alike: 404", async () => {
      const w = await world(target.name);
      const owner = userActor(w.users.owner);
      for (const accountId of [w.b1, "no-such-account", w.a2, "x".repeat(500)]) {
        await expect(w.authorizer.authorize(w.db, owner, "orders:read", accountId)).rejects.toMatchObject({
          code: "ACCOUNT_NOT_FOUND",
          status: 404,
        });
      }
      // The outsider owns b1 but nothing in organisation A, even with a membership row planted on a1.
      await putMembership(
        w.db,
        { userId: w.users.outsider, accountId: w.a1, role: "owner", grantedBy: "x" },
        w.p.clock.now(),
      );
      await expect(
        w.authorizer.authorize(w.db, userActor(w.users.outsider), "orders:read", w.a1),
      ).rejects.toMatchObject({ code: "ACCOUNT_NOT_FOUND" });
      const denied = w.audit.events.filter((e) => e.outcome === "denied");
      expect(denied).toHaveLength(5);
      expect(denied[0]).toEqual({
        action: "access.authorize",
        actor: `user:${w.users.owner}`,
        outcome: "denied",
        target: { account: w.b1, permission: "orders:read" },
        reason: "ACCOUNT_NOT_FOUND",
      });
      // Whatever a caller sends as an id never lands in the audit log verbatim unless it looks like an id.
      expect(denied[3]?.target?.account).toBe("(malformed)");
    });

    it("refuses disabled users and sessions without a completed second factor", async () => {
      const w = await world(target.name);
      await expect(
        w.authorizer.authorize(w.db, userActor(w.users.owner, false), "orders:read", w.a1),
      ).rejects.toMatchObject({ code: "MFA_REQUIRED" });
      await markUserDisabled(w.db, w.users.owner, w.p.clock.now());
      await expect(
        w.authorizer.authorize(w.db, userActor(w.users.owner), "orders:read", w.a1),
      ).rejects.toMatchObject({ code: "USER_DISABLED" });
      await expect(
        w.authorizer.authorize(w.db, userActor("ghost"), "orders:read", w.a1),
      ).rejects.toMatchObject({ code: "USER_DISABLED" });
      expect(w.audit.events.map((e) => e.reason)).toEqual(["MFA_REQUIRED", "USER_DISABLED", "USER_DISABLED"]);
    });

    it("gives an API token only the intersection of its scopes and the user's current role", async () => {
      const w = await world(target.name);
      const token = (permissions: string[], accounts = [w.a1]): Actor => ({
        kind: "api_token",
        userId: w.users.analyst,
        tokenId: "tok-1",
        scopes: { accounts, permissions },
      });
      // Scoped wider than the analyst role: the PII and delete scopes give nothing.
      const wide = token(["orders:read", "orders:read_pii", "account:delete", "finances:read", "bogus:x"]);
      const grant = await w.authorizer.resolve(w.db, wide, w.a1);
      expect([...grant.permissions].sort()).toEqual(["finances:read", "orders:read"]);
      await expect(w.authorizer.authorize(w.db, wide, "orders:read_pii", w.a1)).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
      // Narrower than the role: the role's other permissions are not reachable through the token.
      await expect(
        w.authorizer.authorize(w.db, token(["orders:read"]), "inventory:read", w.a1),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      // An account outside the token's scope is not visible through it.
      await putMembership(
        w.db,
        { userId: w.users.analyst, accountId: w.a2, role: "analyst", grantedBy: "t" },
        w.p.clock.now(),
      );
      await expect(
        w.authorizer.authorize(w.db, token(["orders:read"]), "orders:read", w.a2),
      ).rejects.toMatchObject({
        code: "ACCOUNT_NOT_FOUND",
      });
      // The role shrinks after the token was made: the token shrinks with it, at once.
      await putMembership(
        w.db,
        { userId: w.users.analyst, accountId: w.a1, role: "viewer", grantedBy: "t" },
        w.p.clock.now(),
      );
      await expect(w.authorizer.authorize(w.db, wide, "finances:read", w.a1)).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
      expect(w.audit.events.at(-1)).toMatchObject({ actor: "token:tok-1", reason: "FORBIDDEN" });
    });

    it("fails closed on a stored role that no longer exists", async () => {
      const w = await world(target.name);
      await putMembership(
        w.db,
        { userId: w.users.viewer, accountId: w.a1, role: "superuser", grantedBy: "t" },
        w.p.clock.now(),
      );
      await expect(
        w.authorizer.authorize(w.db, userActor(w.users.viewer), "orders:read", w.a1),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
    });

    it("writes denials through the structured-log audit sink without e-mail addresses", async () => {
      const w = await world(target.name);
      const capture = capturingLogger("info");
      const authorizer = createAuthorizer({ audit: loggerAuditSink(capture.logger) });
      await expect(
        authorizer.authorize(w.db, userActor(w.users.viewer), "finances:read", w.a1),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      const line = JSON.parse(capture.lines[0] ?? "{}") as { audit?: unknown };
      expect(line.audit).toEqual({
        action: "access.authorize",
        actor: `user:${w.users.viewer}`,
        outcome: "denied",
        target: { account: w.a1, permission: "finances:read" },
        reason: "FORBIDDEN",
      });
      expect(capture.text()).not.toContain("@agency.example");
    });
  });
}
