import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Cleanups,
  cliInstance,
  PUBLIC_URL,
  seedOrganisations,
  seedUser,
} from "../../test/support/identity-cli.js";
import { STORES, type StoreName } from "../../test/support/stores.js";
import { listMembershipsOfUser } from "../identity/memberships-repo.js";
import { listOrganisations } from "../identity/organisations-repo.js";
import { findUserByEmail } from "../identity/users-repo.js";
import { MS } from "../platform/clock.js";
import { parseScopes, parseTtl } from "./token-commands.js";

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const instance = (store: StoreName) => cliInstance(store, cleanups);

describe("identity CLI argument parsing", () => {
  it("parses --scopes into one account list and one permission list", () => {
    expect(parseScopes(" b , a : orders:read, inventory:read ")).toEqual({
      accounts: ["a", "b"],
      permissions: ["inventory:read", "orders:read"],
    });
    expect(parseScopes("a:orders:read,inventory:read;b:inventory:read,orders:read")).toEqual({
      accounts: ["a", "b"],
      permissions: ["inventory:read", "orders:read"],
    });
    for (const bad of [
      "",
      "a",
      ":orders:read",
      "a:",
      "a:nope",
      "a:orders:read;b:inventory:read",
      "a b:orders:read",
    ]) {
      expect(() => parseScopes(bad), bad).toThrow(/--scopes/);
    }
  });

  it("parses --ttl within 1 hour and 365 days", () => {
    expect(parseTtl("30d")).toBe(30 * MS.day);
    expect(parseTtl("1h")).toBe(MS.hour);
    expect(parseTtl("365d")).toBe(365 * MS.day);
    for (const bad of ["0h", "366d", "30", "d", "1.5d", "-1d", "30 days", "8761h"]) {
      expect(() => parseTtl(bad), bad).toThrow(/--ttl/);
    }
  });

  it("documents each command and exits 2 on usage errors without opening the stores", async () => {
    const { cli, dataDir } = await instance("sqlite");
    for (const argv of [
      ["admin", "--help"],
      ["admin", "create", "--help"],
      ["user", "--help"],
      ["user", "create", "--help"],
      ["user", "disable", "--help"],
      ["token", "create", "--help"],
    ]) {
      const res = await cli(argv);
      expect(res.code, argv.join(" ")).toBe(0);
      expect(res.stdout).toContain(argv.length === 2 ? "create" : "--json");
    }
    const usageCases: Array<[string[], string | null]> = [
      [["admin", "create"], null],
      [["admin", "create", "--email", "not-an-address"], "EMAIL_INVALID"],
      [["admin", "create", "--email", "jane.doe@agency.example", "--name", "  "], "VALIDATION_FAILED"],
      // No stdin to read from (the fake io offers none).
      [["admin", "create", "--email", "jane.doe@agency.example", "--password-stdin"], "VALIDATION_FAILED"],
      [
        ["user", "create", "--email", "sam@agency.example", "--role", "boss", "--account", "a1"],
        "ROLE_UNKNOWN",
      ],
      [["user", "create", "--email", "sam@agency.example", "--role", "viewer"], null],
      [
        ["user", "create", "--email", "sam@agency.example", "--role", "viewer", "--account", "a b"],
        "VALIDATION_FAILED",
      ],
      [["user", "disable"], "VALIDATION_FAILED"],
      [["user", "disable", "--email", "sam@agency.example", "--user", "u1"], "VALIDATION_FAILED"],
      [["token", "create", "--user", "u1", "--scopes", "a1:orders:read"], null],
      [
        ["token", "create", "--user", "u1", "--scopes", "a1:orders:read", "--ttl", "30"],
        "API_TOKEN_TTL_INVALID",
      ],
      [
        ["token", "create", "--user", "u1", "--scopes", "a1:orders:read", "--ttl", "400d"],
        "API_TOKEN_TTL_INVALID",
      ],
      [
        ["token", "create", "--user", "u1", "--scopes", "a1:everything", "--ttl", "30d"],
        "API_TOKEN_SCOPE_INVALID",
      ],
      [["token", "create", "--scopes", "a1:orders:read", "--ttl", "30d"], "VALIDATION_FAILED"],
      [["user", "bogus"], null],
    ];
    for (const [argv, code] of usageCases) {
      const res = await cli(argv);
      expect(res.code, argv.join(" ")).toBe(2);
      if (code) expect(res.stderr, argv.join(" ")).toContain(`error ${code}:`);
    }
    const json = await cli([
      "user",
      "create",
      "--email",
      "x",
      "--role",
      "viewer",
      "--account",
      "a1",
      "--json",
    ]);
    expect(json.code).toBe(2);
    expect(json.json().error.code).toBe("EMAIL_INVALID");
    expect(existsSync(dataDir)).toBe(false);
  });
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`identity CLI on ${target.name}`, () => {
    it("admin create: an owner of every account of the organisation, enrolled through a single-use link", async () => {
      const { cli, withRt, auditEntries } = await instance(target.name);
      const { orgA, a1, a2 } = await seedOrganisations(withRt);
      const email = "jane.doe@agency.example";

      const ambiguous = await cli(["admin", "create", "--email", email, "--json"]);
      expect(ambiguous.code).toBe(1);
      expect(ambiguous.json().error.code).toBe("ORGANISATION_NOT_FOUND");

      const res = await cli(["admin", "create", "--email", email, "--organisation", "Agency", "--json"]);
      expect(res.code, res.stdout).toBe(0);
      const out = res.json();
      expect(out.organisation).toEqual({ id: orgA, name: "Agency", created: false });
      expect(out.user).toMatchObject({ status: "active", isInstanceAdmin: true });
      expect(out.memberships).toEqual([a1, a2].sort().map((accountId) => ({ accountId, role: "owner" })));
      expect(out.passwordSet).toBe(false);
      expect(out.invitation.link).toMatch(new RegExp(`^${PUBLIC_URL}/enroll\\?token=[A-Za-z0-9_-]{43}$`));
      const token = new URL(out.invitation.link).searchParams.get("token") ?? "";
      expect(res.stderr).not.toContain(token);

      await withRt(async (rt, s) => {
        const accepted = await s.identity.acceptInvitation(token, { displayName: "Jane Doe" });
        expect(accepted.user.id).toBe(out.user.id);
        await expect(s.identity.acceptInvitation(token, { displayName: "Jane Doe" })).rejects.toMatchObject({
          code: "INVITATION_USED",
        });
        const roles = await listMembershipsOfUser(rt.database.db, out.user.id);
        expect(roles.map((m) => m.role)).toEqual(["owner", "owner"]);
        // The admin can manage the team: the authorizer grants team:manage once the second factor is done.
        const grant = await s.authorizer.authorize(
          rt.database.db,
          { kind: "user", userId: out.user.id, mfaVerified: true },
          "team:manage",
          a1,
        );
        expect(grant.role).toBe("owner");
      });

      const again = await cli(["admin", "create", "--email", email, "--organisation", "Agency", "--json"]);
      expect(again.code).toBe(1);
      expect(again.json().error.code).toBe("EMAIL_TAKEN");

      const entries = await auditEntries("cli.admin.create");
      expect(entries.map((e) => [e.actor, e.outcome, e.reason])).toEqual([
        ["operator:cli", "denied", "ORGANISATION_NOT_FOUND"],
        ["operator:cli", "success", null],
        ["operator:cli", "denied", "EMAIL_TAKEN"],
      ]);
      expect(JSON.parse(entries[1]?.target ?? "{}")).toMatchObject({
        organisation: orgA,
        user: out.user.id,
        invitation: out.invitation.id,
      });
      expect(entries.map((e) => `${e.target}`).join()).not.toContain("@");
    });

    it("admin create --password-stdin: policy violations exit 1 with codes and change nothing", async () => {
      const { cli, withRt } = await instance(target.name);
      const email = "jane.doe@agency.example";
      const noLink = await cli(["admin", "create", "--email", email, "--json"]);
      expect(noLink.code).toBe(1);
      expect(noLink.json().error.code).toBe("ACCOUNT_NOT_FOUND");

      const weak = await cli(["admin", "create", "--email", email, "--password-stdin", "--json"], "short\n");
      expect(weak.code).toBe(1);
      expect(weak.json().error).toMatchObject({
        code: "PASSWORD_TOO_SHORT",
        violations: [
          "PASSWORD_TOO_SHORT",
          "PASSWORD_MISSING_UPPER",
          "PASSWORD_MISSING_DIGIT",
          "PASSWORD_MISSING_SPECIAL",
        ],
      });
      const named = await cli(
        ["admin", "create", "--email", email, "--password-stdin"],
        "Jane.Doe-2026-Secure!\n",
      );
      expect(named.code).toBe(1);
      expect(named.stderr).toContain("error PASSWORD_CONTAINS_NAME");
      expect(named.stderr).toContain("(broken rules: PASSWORD_CONTAINS_NAME)");
      expect(named.stderr).not.toContain("Secure!");
      await withRt(async (rt) => {
        expect(await listOrganisations(rt.database.db)).toEqual([]);
        expect(await findUserByEmail(rt.database.db, email)).toBeNull();
      });

      const password = "Correct-Horse-42-Battery";
      const res = await cli(
        ["admin", "create", "--email", email, "--password-stdin", "--json"],
        `${password}\n`,
      );
      expect(res.code, res.stdout).toBe(0);
      expect(res.json()).toMatchObject({
        organisation: { name: "Default organisation", created: true },
        user: { isInstanceAdmin: true },
        memberships: [],
        passwordSet: true,
      });
      expect(res.stdout + res.stderr).not.toContain(password);
      await withRt(async (_rt, s) => {
        const signIn = await s.credentials.signIn(res.json().user.id, password);
        expect(signIn.nextStep).toBe("enroll_mfa");
      });
    });

    it("user create: an invitation for the account and role; unknown accounts and taken addresses refused", async () => {
      const { cli, withRt, auditEntries } = await instance(target.name);
      const { a1, b1, orgB } = await seedOrganisations(withRt);
      const res = await cli([
        "user",
        "create",
        "--email",
        "sam.lee@agency.example",
        "--role",
        "analyst",
        "--account",
        a1,
        "--json",
      ]);
      expect(res.code, res.stdout).toBe(0);
      const { invitation } = res.json();
      expect(res.json().user).toBeUndefined();
      expect(invitation).toMatchObject({ accountId: a1, role: "analyst" });
      expect(Date.parse(invitation.expiresAt)).toBeGreaterThan(0);
      const token = new URL(invitation.link).searchParams.get("token") ?? "";
      await withRt(async (rt, s) => {
        const { user } = await s.identity.acceptInvitation(token, { displayName: "Sam Lee" });
        expect(
          (await listMembershipsOfUser(rt.database.db, user.id)).map((m) => [m.accountId, m.role]),
        ).toEqual([[a1, "analyst"]]);
      });

      const named = await cli([
        "user",
        "create",
        "--email",
        "kim.park@agency.example",
        "--role",
        "viewer",
        "--account",
        a1,
        "--name",
        "Kim Park",
        "--json",
      ]);
      expect(named.code).toBe(0);
      expect(named.json().user).toMatchObject({ status: "active", created: true });

      await withRt((_rt, s, clock) =>
        seedUser(_rt, s, clock, {
          organisationId: orgB,
          email: "olga.other@other.example",
          roles: [[b1, "owner"]],
          totp: false,
        }),
      );
      const refusals: Array<[string[], string]> = [
        [
          ["--email", "new.person@agency.example", "--role", "viewer", "--account", "nope"],
          "ACCOUNT_NOT_FOUND",
        ],
        [["--email", "olga.other@other.example", "--role", "viewer", "--account", a1], "EMAIL_TAKEN"],
        [["--email", "info@agency.example", "--role", "viewer", "--account", a1], "EMAIL_GENERIC"],
        [["--email", "sam.lee@agency.example", "--role", "viewer", "--account", a1], "BAD_REQUEST"],
      ];
      for (const [args, code] of refusals) {
        const refused = await cli(["user", "create", ...args, "--json"]);
        expect(refused.code, code).toBe(1);
        expect(refused.json().error.code).toBe(code);
      }
      const entries = await auditEntries("cli.user.create");
      expect(entries.map((e) => e.reason)).toEqual([null, null, ...refusals.map(([, code]) => code)]);
    });
  });
}
