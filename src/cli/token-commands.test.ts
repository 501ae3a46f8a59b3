import { afterEach, describe, expect, it } from "vitest";
import { type Cleanups, cliInstance, seedOrganisations, seedUser } from "../../test/support/identity-cli.js";
import { STORES, type StoreName } from "../../test/support/stores.js";
import { findUserByEmail } from "../identity/users-repo.js";
import { MS } from "../platform/clock.js";

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const instance = (store: StoreName) => cliInstance(store, cleanups);

for (const target of STORES) {
  describe.skipIf(target.skip)(`token create and user disable on ${target.name}`, () => {
    it("token create: printed once, usable within its scopes; disabling the user revokes it", async () => {
      const { cli, withRt, auditEntries } = await instance(target.name);
      const { orgA, a1, a2, b1 } = await seedOrganisations(withRt);
      const email = "tess.tokens@agency.example";
      const seeded = await withRt(async (rt, s, clock) => {
        const tess = await seedUser(rt, s, clock, {
          organisationId: orgA,
          email,
          roles: [
            [a1, "analyst"],
            [a2, "viewer"],
          ],
          totp: true,
        });
        const noMfa = await seedUser(rt, s, clock, {
          organisationId: orgA,
          email: "nora.nomfa@agency.example",
          roles: [[a1, "viewer"]],
          totp: false,
        });
        // A second owner, so disabling is not refused as the last owner's.
        await seedUser(rt, s, clock, {
          organisationId: orgA,
          email: "omar.owner@agency.example",
          roles: [[a1, "owner"]],
          totp: false,
        });
        const session = await s.modules.sessions.start(tess);
        return { tess, noMfa, session: session.token };
      });

      const refusals: Array<[string[], string]> = [
        [["--user", seeded.noMfa, "--scopes", `${a1}:orders:read`], "MFA_ENROLLMENT_REQUIRED"],
        [["--email", email, "--scopes", `${a1}:orders:read_pii`], "API_TOKEN_SCOPE_INVALID"],
        [["--email", email, "--scopes", `${a1},${a2}:finances:read`], "API_TOKEN_SCOPE_INVALID"],
        [["--email", email, "--scopes", `${b1}:orders:read`], "API_TOKEN_SCOPE_INVALID"],
        [["--user", "no-such-user", "--scopes", `${a1}:orders:read`], "USER_NOT_FOUND"],
      ];
      for (const [args, code] of refusals) {
        const refused = await cli(["token", "create", ...args, "--ttl", "30d", "--json"]);
        expect(refused.code, code).toBe(1);
        expect(refused.json().error.code).toBe(code);
      }

      const res = await cli([
        "token",
        "create",
        "--email",
        email,
        "--scopes",
        `${a1},${a2}:orders:read,inventory:read`,
        "--ttl",
        "30d",
        "--name",
        "nightly export",
        "--json",
      ]);
      expect(res.code, res.stdout).toBe(0);
      const out = res.json();
      expect(out.token).toMatch(/^spt_[A-Za-z0-9_-]{43}$/);
      expect(out).toMatchObject({ userId: seeded.tess, name: "nightly export", createdBy: "operator:cli" });
      expect(out.scopes).toEqual({
        accounts: [a1, a2].sort(),
        permissions: ["inventory:read", "orders:read"],
      });
      expect(Date.parse(out.expiresAt) - Date.parse(out.createdAt)).toBe(30 * MS.day);
      expect(res.stdout.split(out.token).length - 1).toBe(1);
      expect(res.stderr).not.toContain(out.token);
      expect(res.stderr).not.toContain(out.token.slice(4, 20));

      await withRt(async (rt, s) => {
        const info = await s.modules.apiTokens.authenticate(out.token);
        expect(info).toMatchObject({ id: out.id, userId: seeded.tess });
        const actor = {
          kind: "api_token",
          userId: info.userId,
          tokenId: info.id,
          scopes: info.scopes,
        } as const;
        const grant = await s.authorizer.authorize(rt.database.db, actor, "orders:read", a2);
        expect(grant.permissions).toEqual(new Set(["orders:read", "inventory:read"]));
        // Analyst on a1 holds finances:read, but the token was not given it.
        await expect(
          s.authorizer.authorize(rt.database.db, actor, "finances:read", a1),
        ).rejects.toMatchObject({
          code: "FORBIDDEN",
        });
        const row = await rt.database.db
          .selectFrom("api_tokens")
          .select("created_by_session")
          .where("id", "=", out.id)
          .executeTakeFirstOrThrow();
        expect(row.created_by_session).toBe("operator:cli");
      }, out.createdAt);

      const disabled = await cli(["user", "disable", "--email", email, "--json"]);
      expect(disabled.code, disabled.stdout).toBe(0);
      expect(disabled.json().user).toMatchObject({ id: seeded.tess, status: "disabled" });
      await withRt(async (_rt, s) => {
        await expect(s.modules.apiTokens.authenticate(out.token)).rejects.toMatchObject({
          code: "API_TOKEN_REVOKED",
        });
        await expect(s.modules.sessions.resolve(seeded.session)).rejects.toMatchObject({
          code: "SESSION_INVALID",
        });
      }, out.createdAt);

      const afterDisable = await cli([
        "token",
        "create",
        "--user",
        seeded.tess,
        "--scopes",
        `${a1}:orders:read`,
        "--ttl",
        "1h",
        "--json",
      ]);
      expect(afterDisable.code).toBe(1);
      expect(afterDisable.json().error.code).toBe("USER_DISABLED");
      const unknown = await cli(["user", "disable", "--user", "no-such-user", "--json"]);
      expect(unknown.code).toBe(1);
      expect(unknown.json().error.code).toBe("USER_NOT_FOUND");

      const created = await auditEntries("cli.token.create");
      expect(created.map((e) => e.reason)).toEqual([
        ...refusals.map(([, code]) => code),
        null,
        "USER_DISABLED",
      ]);
      expect(JSON.parse(created[refusals.length]?.target ?? "{}")).toEqual({
        user: seeded.tess,
        token: out.id,
      });
      const disables = await auditEntries("cli.user.disable");
      expect(disables.map((e) => [e.actor, e.outcome, e.reason])).toEqual([
        ["operator:cli", "success", null],
        ["operator:cli", "denied", "USER_NOT_FOUND"],
      ]);
      expect((await auditEntries("user.disable")).map((e) => e.actor)).toEqual(["operator:cli"]);
    });

    it("user disable refuses to leave an account without an active owner", async () => {
      const { cli, withRt, auditEntries } = await instance(target.name);
      const { orgA, a1 } = await seedOrganisations(withRt);
      const owner = await withRt((rt, s, clock) =>
        seedUser(rt, s, clock, {
          organisationId: orgA,
          email: "olive.owner@agency.example",
          roles: [[a1, "owner"]],
          totp: false,
        }),
      );
      const res = await cli(["user", "disable", "--user", owner, "--json"]);
      expect(res.code).toBe(1);
      expect(res.json().error.code).toBe("LAST_OWNER");
      expect((await auditEntries("cli.user.disable")).map((e) => e.reason)).toEqual(["LAST_OWNER"]);
      await withRt(async (rt) => {
        expect((await findUserByEmail(rt.database.db, "olive.owner@agency.example"))?.status).toBe("active");
      });
    });
  });
}
