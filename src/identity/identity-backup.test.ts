import { afterEach, describe, expect, it } from "vitest";
import { openTestRuntime, type TestRuntime } from "../../test/support/backup-runtime.js";
import { collectingAudit, OPERATOR, userActor } from "../../test/support/identity.js";
import { STORES } from "../../test/support/stores.js";
import { createAuthorizer } from "../access/authorize.js";
import { createPiiReveal } from "../access/pii-reveal.js";
import { deleteSellerAccount } from "../accounts/account-deletion.js";
import { createSellerAccount } from "../accounts/accounts-repo.js";
import { createRestoreDrill } from "../backup/backup-drill.js";
import { createAccessReviews } from "./access-review.js";
import { createIdentityService } from "./identity-service.js";

const open: TestRuntime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`identity data in backups and account deletion on ${target.name}`, () => {
    async function seeded() {
      const rt = await openTestRuntime(target.name);
      open.push(rt);
      const { runtime, clock } = rt;
      const db = runtime.database.db;
      const audit = collectingAudit();
      const authorizer = createAuthorizer({ audit });
      const identity = createIdentityService({
        db,
        clock,
        audit,
        authorizer,
        revokeUserCredentials: async () => {},
      });
      const org = await identity.createOrganisation(OPERATOR, "Agency");
      const account = await createSellerAccount(
        db,
        runtime.fields,
        { name: "Brand", region: "eu", organisationId: org.id },
        clock.now(),
      );
      const owner = await identity.createUser(OPERATOR, {
        organisationId: org.id,
        email: "owner@agency.example",
        displayName: "Owner",
      });
      await identity.grantRole(OPERATOR, { userId: owner.id, accountId: account.id, role: "owner" });
      await identity.invite(OPERATOR, {
        accountId: account.id,
        email: "next@agency.example",
        role: "viewer",
      });
      const reviews = createAccessReviews({ db, clock, audit, authorizer, identity });
      await reviews.open(OPERATOR, org.id);
      const reveal = createPiiReveal({ authorizer, fields: runtime.fields, audit, clock });
      await reveal.grant(db, userActor(owner.id), {
        accountId: account.id,
        orderId: "123-1234567-1234567",
        purpose: "ship_order",
        note: "sealed note",
      });
      return { rt, db, account, org };
    }

    it("survives a restore drill: parents are restored before the rows that reference them", async () => {
      const { rt } = await seeded();
      const { report } = await createRestoreDrill(rt.runtime).drill();
      expect(report.error).toBeNull();
      expect(report.outcome).toBe("passed");
      for (const table of [
        "organisations",
        "users",
        "memberships",
        "invitations",
        "access_reviews",
        "pii_reveal_grants",
      ]) {
        expect(report.tables[table], table).toMatchObject({ rows: 1, match: true });
      }
      expect(report.tables.access_review_items).toMatchObject({ rows: 1, match: true });
    });

    it("deleting a seller account removes its memberships, invitations and reveal grants with it", async () => {
      const { rt, db, account } = await seeded();
      const { runtime } = rt;
      await deleteSellerAccount(runtime, account.id, "operator:test");
      for (const table of ["memberships", "invitations", "pii_reveal_grants"] as const) {
        expect(await db.selectFrom(table).selectAll().execute(), table).toEqual([]);
      }
      // The review snapshot is evidence and stays; it holds ids and a role name, no personal data.
      expect(await db.selectFrom("access_review_items").select("seller_account_id").execute()).toEqual([
        { seller_account_id: account.id },
      ]);
    });
  });
}
