import { afterEach, describe, expect, it } from "vitest";
import { refreshTokenSecretName } from "../../src/amazon/lwa.js";
import { getMarketplaceParticipations } from "../../src/amazon/operations/seller-data.js";
import { findMembership } from "../../src/identity/memberships-repo.js";
import { createOrganisation } from "../../src/identity/organisations-repo.js";
import { createUser } from "../../src/identity/users-repo.js";
import { MS } from "../../src/platform/clock.js";
import { AppError } from "../../src/platform/errors.js";
import { STORES } from "../support/stores.js";

const code = (p: Promise<unknown>) =>
  p.then(
    () => "resolved",
    (err: unknown) => (err instanceof AppError ? err.code : String(err)),
  );

import { openRig, type Rig } from "./connect-rig.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`connecting a seller account against the sandbox on ${target.name}`, () => {
    let rig: Rig;
    afterEach(async () => {
      await rig.dispose();
    });

    it("runs start -> consent -> callback: refresh token sealed, marketplaces recorded, user owner, client works", async () => {
      rig = await openRig(target.name);
      const actor = { ...rig.owner, organisationId: rig.org };
      const { consentUrl } = await rig.connect.start(actor, ["pricing", "orders_sales", "pricing"]);
      const url = new URL(consentUrl);
      expect(url.searchParams.get("application_id")).toBe(rig.h.running.sandbox.applicationId);
      expect(url.searchParams.get("version")).toBe("beta");
      const state = url.searchParams.get("state") ?? "";
      expect(state.length).toBeGreaterThanOrEqual(43);
      // Only the hash is stored.
      const rows = await rig.protection.data.database.db.selectFrom("connect_states").selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(state);

      const back = await rig.consent(consentUrl, 1);
      expect(back.state).toBe(state);
      const done = await rig.connect.callback(rig.owner, back);
      const seller = rig.h.running.sandbox.sellers[1];
      expect(done).toMatchObject({ sellingPartnerId: seller?.sellingPartnerId, reauthorized: false });
      expect(done.features).toEqual(["orders_sales", "pricing"]);
      expect(done.marketplaces.length).toBeGreaterThan(0);
      // The exchanged refresh token lives in the secrets store only (the client calls below use it).
      const sealed = await rig.protection.secrets.get(refreshTokenSecretName(done.accountId), {
        component: "test",
      });
      expect(sealed).toMatch(/^Atzr\|/);
      const info = await rig.connect.readConnection(done.accountId);
      expect(info).toMatchObject({ organisationId: rig.org, status: "active", revokedAt: null });
      expect(info?.marketplaces).toEqual(done.marketplaces);
      expect(info?.authorizedAt).toBe(rig.clock.now().toISOString());
      const db = rig.protection.data.database.db;
      expect((await findMembership(db, rig.owner.userId, done.accountId))?.role).toBe("owner");
      expect(await rig.connect.profile(done.accountId)).toEqual({
        region: "na",
        features: ["orders_sales", "pricing"],
      });
      expect(await getMarketplaceParticipations(rig.api.client, done.accountId)).toHaveLength(
        done.marketplaces.length,
      );
      expect(rig.events.map((e) => e.action)).toEqual(
        expect.arrayContaining(["connect.start", "connect.connected"]),
      );
      expect(JSON.stringify(rig.events)).not.toContain(sealed);
      expect(JSON.stringify(await rig.connect.readConnection(done.accountId))).not.toContain(sealed);
    });

    it("refuses a reused, expired, foreign-session or unknown state, each with its own code, audited", async () => {
      rig = await openRig(target.name);
      const actor = { ...rig.owner, organisationId: rig.org };
      const first = await rig.consent((await rig.connect.start(actor, ["inventory"])).consentUrl);
      await rig.connect.callback(rig.owner, first);
      expect(await code(rig.connect.callback(rig.owner, first))).toBe("CONNECT_STATE_USED");

      const other = await rig.consent((await rig.connect.start(actor, ["inventory"])).consentUrl);
      expect(await code(rig.connect.callback({ ...rig.owner, sessionId: "session-2" }, other))).toBe(
        "CONNECT_STATE_SESSION_MISMATCH",
      );
      // The refusal did not burn the state for its rightful session.
      expect((await rig.connect.callback(rig.owner, other)).reauthorized).toBe(true);

      const late = await rig.consent((await rig.connect.start(actor, ["inventory"])).consentUrl);
      rig.clock.advance(5 * MS.minute - 1);
      const lateButInTime = await rig.consent((await rig.connect.start(actor, ["inventory"])).consentUrl);
      rig.clock.advance(1);
      expect(await code(rig.connect.callback(rig.owner, late))).toBe("CONNECT_STATE_EXPIRED");
      expect(await code(rig.connect.callback(rig.owner, { ...lateButInTime, state: "forged" }))).toBe(
        "CONNECT_STATE_INVALID",
      );
      const denied = rig.events.filter((e) => e.action === "connect.callback" && e.outcome === "denied");
      expect(denied.map((e) => e.reason)).toEqual([
        "CONNECT_STATE_USED",
        "CONNECT_STATE_SESSION_MISMATCH",
        "CONNECT_STATE_EXPIRED",
        "CONNECT_STATE_INVALID",
      ]);
    });

    it("refuses unknown features and users who are neither instance admin nor an owner in the organisation", async () => {
      rig = await openRig(target.name);
      const actor = { ...rig.owner, organisationId: rig.org };
      expect(await code(rig.connect.start(actor, []))).toBe("CONNECT_FEATURES_INVALID");
      expect(await code(rig.connect.start(actor, ["orders_sales", "everything"]))).toBe(
        "CONNECT_FEATURES_INVALID",
      );
      const db = rig.protection.data.database.db;
      const plain = await createUser(
        db,
        { organisationId: rig.org, email: "sam@agency.example", displayName: "Staff" },
        rig.clock.now(),
      );
      expect(
        await code(
          rig.connect.start({ userId: plain.id, sessionId: "s", organisationId: rig.org }, ["pricing"]),
        ),
      ).toBe("FORBIDDEN");
      // Another organisation's admin may not connect into this one.
      const otherOrg = await createOrganisation(db, { name: "Other" }, rig.clock.now());
      expect(await code(rig.connect.start({ ...rig.owner, organisationId: otherOrg.id }, ["pricing"]))).toBe(
        "FORBIDDEN",
      );
    });

    it("a refusal of the old authorization does not revoke a reconnect that landed while the call ran", async () => {
      rig = await openRig(target.name);
      const r = rig;
      const actor = { ...r.owner, organisationId: r.org };
      const connect = async () =>
        r.connect.callback(
          r.owner,
          await r.consent((await r.connect.start(actor, ["orders_sales"])).consentUrl),
        );
      const done = await connect();
      r.clock.advance(MS.minute);
      // Amazon refuses the token the call began with; meanwhile the seller reconnected.
      const stale = r.connect.guard(done.accountId, async () => {
        r.clock.advance(MS.second);
        await connect();
        r.clock.advance(MS.second);
        throw new AppError("SPAPI_AUTHORIZATION_REVOKED");
      });
      // Retryable (503), so a job tries again instead of pausing the account.
      expect(await code(stale)).toBe("SPAPI_REAUTHORIZED");
      expect(await r.connect.readConnection(done.accountId)).toMatchObject({ status: "active" });
      expect(r.events.filter((e) => e.action === "connect.revoked")).toHaveLength(0);
      // A call that began under the current authorization and is refused does revoke it.
      r.clock.advance(MS.second);
      const fresh = r.connect.guard(done.accountId, async () => {
        throw new AppError("SPAPI_AUTHORIZATION_REVOKED");
      });
      expect(await code(fresh)).toBe("SPAPI_AUTHORIZATION_REVOKED");
      expect(await r.connect.readConnection(done.accountId)).toMatchObject({
        status: "authorization_revoked",
      });
    });

    it("marks the account revoked when Amazon answers invalid_grant, and re-authorization reconnects it", async () => {
      rig = await openRig(target.name);
      const actor = { ...rig.owner, organisationId: rig.org };
      const done = await rig.connect.callback(
        rig.owner,
        await rig.consent((await rig.connect.start(actor, ["orders_sales"])).consentUrl),
      );
      const spid = rig.h.running.sandbox.sellers[0]?.sellingPartnerId as string;
      await rig.h.admin({ revoke: spid });
      rig.clock.advance(61 * MS.minute);
      expect(
        await code(
          rig.connect.guard(done.accountId, () =>
            getMarketplaceParticipations(rig.api.client, done.accountId),
          ),
        ),
      ).toBe("SPAPI_AUTHORIZATION_REVOKED");
      const revoked = await rig.connect.readConnection(done.accountId);
      expect(revoked).toMatchObject({
        status: "authorization_revoked",
        revokedAt: rig.clock.now().toISOString(),
      });
      // Refused before any traffic from now on.
      expect(await code(rig.connect.profile(done.accountId))).toBe("SPAPI_AUTHORIZATION_REVOKED");
      expect(rig.events.filter((e) => e.action === "connect.revoked")).toHaveLength(1);

      rig.clock.advance(MS.minute);
      const again = await rig.connect.callback(
        rig.owner,
        await rig.consent((await rig.connect.start(actor, ["orders_sales", "finances"])).consentUrl),
      );
      expect(again).toMatchObject({ accountId: done.accountId, reauthorized: true });
      expect(await rig.connect.readConnection(done.accountId)).toMatchObject({
        status: "active",
        revokedAt: null,
        features: ["orders_sales", "finances"],
      });
      expect(await getMarketplaceParticipations(rig.api.client, done.accountId)).not.toHaveLength(0);
      const accounts = await rig.protection.data.database.db
        .selectFrom("seller_accounts")
        .select("id")
        .execute();
      expect(accounts).toHaveLength(1);
    });
  });
}
