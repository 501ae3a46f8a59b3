import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { openTestStore, STORES, type TestStore } from "../../test/support/stores.js";
import { migrateToLatest } from "../db/migrate.js";
import { createOrganisation } from "./organisations-repo.js";
import {
  createUser,
  findUserByEmail,
  isGenericAddress,
  markUserDisabled,
  normalizeEmail,
} from "./users-repo.js";

const open: TestStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.dispose();
});

describe("e-mail addresses", () => {
  it("normalizes case and surrounding space, and refuses what is not an address", () => {
    expect(normalizeEmail("  Jane.Doe@Agency.Example ")).toBe("jane.doe@agency.example");
    for (const bad of [
      "",
      "jane",
      "@agency.example",
      "jane@",
      "jane@agency",
      "ja ne@agency.example",
      "a@b@c.de",
    ]) {
      expect(() => normalizeEmail(bad), bad).toThrow(expect.objectContaining({ code: "EMAIL_INVALID" }));
    }
    expect(() => normalizeEmail(`${"a".repeat(320)}@agency.example`)).toThrow(
      expect.objectContaining({ code: "EMAIL_INVALID" }),
    );
  });

  it("is idempotent for any address it accepts", () => {
    fc.assert(
      fc.property(fc.emailAddress(), (raw) => {
        let once: string;
        try {
          once = normalizeEmail(raw);
        } catch {
          return;
        }
        expect(normalizeEmail(once)).toBe(once);
        expect(normalizeEmail(once.toUpperCase())).toBe(once);
      }),
    );
  });

  it("flags role mailboxes, also with a +tag, but not people", () => {
    for (const generic of ["info@x.example", "admin@x.example", "team+eu@x.example", "shared@x.example"]) {
      expect(isGenericAddress(generic), generic).toBe(true);
    }
    for (const person of ["jane@x.example", "admin.jane@x.example", "info-desk-bob@x.example"]) {
      expect(isGenericAddress(person), person).toBe(false);
    }
  });
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`users on ${target.name}`, () => {
    async function store() {
      const s = await openTestStore(target.name);
      open.push(s);
      await migrateToLatest(s.database.db);
      const db = s.database.db;
      const now = new Date("2026-11-28T12:00:00.000Z");
      const org = await createOrganisation(db, { name: "Agency" }, now);
      return { db, now, org };
    }

    it("holds one identity per address, whatever its case, and refuses generic addresses", async () => {
      const { db, now, org } = await store();
      const jane = await createUser(
        db,
        { organisationId: org.id, email: "Jane@Agency.Example", displayName: " Jane " },
        now,
      );
      expect(jane).toMatchObject({ email: "jane@agency.example", displayName: "Jane", status: "active" });
      expect(jane.isInstanceAdmin).toBe(false);
      await expect(
        createUser(db, { organisationId: null, email: "JANE@agency.example", displayName: "Other" }, now),
      ).rejects.toMatchObject({ code: "EMAIL_TAKEN", status: 409 });
      await expect(
        createUser(db, { organisationId: org.id, email: "info@agency.example", displayName: "Desk" }, now),
      ).rejects.toMatchObject({ code: "EMAIL_GENERIC" });
      expect(await db.selectFrom("users").select("id").execute()).toHaveLength(1);
      // The unique index is the last line: a raw duplicate insert fails too.
      await expect(
        db
          .insertInto("users")
          .values({
            id: "dup",
            organisation_id: null,
            email: "jane@agency.example",
            display_name: "x",
            status: "active",
            is_instance_admin: 0,
            created_at: now.toISOString(),
            disabled_at: null,
          })
          .execute(),
      ).rejects.toThrow();
      expect((await findUserByEmail(db, " JANE@agency.example"))?.id).toBe(jane.id);
    });

    it("disables once and records when", async () => {
      const { db, now, org } = await store();
      const u = await createUser(
        db,
        { organisationId: org.id, email: "op@agency.example", displayName: "Op", isInstanceAdmin: true },
        now,
      );
      expect(u.isInstanceAdmin).toBe(true);
      expect(await markUserDisabled(db, u.id, now)).toBe(true);
      expect(await markUserDisabled(db, u.id, now)).toBe(false);
      expect(await findUserByEmail(db, "op@agency.example")).toMatchObject({
        status: "disabled",
        disabledAt: now.toISOString(),
      });
    });
  });
}
