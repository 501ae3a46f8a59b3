import { afterEach, describe, expect, it } from "vitest";
import { countingProvider, openTestProtection, type TestProtection } from "../../test/support/protection.js";
import { STORES } from "../../test/support/stores.js";
import { createSellerAccount, readContactEmail } from "../accounts/accounts-repo.js";
import { createDataKeys } from "../crypto/data-keys.js";
import { createFieldCipher } from "../crypto/field-cipher.js";
import { rotateAccountDataKey, rotateKek } from "./key-rotation.js";

const open: TestProtection[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.dispose();
});

const quiet = () => undefined;

for (const target of STORES) {
  describe.skipIf(target.skip)(`key rotation on ${target.name}`, () => {
    async function seeded(options?: Parameters<typeof openTestProtection>[1], accounts = 5) {
      const p = await openTestProtection(target.name, options);
      open.push(p);
      const ids: string[] = [];
      for (let i = 0; i < accounts; i++) {
        const account = await createSellerAccount(
          p.data.database.db,
          p.fields,
          { name: `Brand ${i}`, region: "eu", contactEmail: `owner${i}@brand.example` },
          p.clock.now(),
        );
        await p.secrets.put(`lwa.refresh_token.${account.id}`, `Atzr|refresh-${i}`, {
          accountId: account.id,
          actor: "test",
        });
        ids.push(account.id);
      }
      return { p, ids };
    }

    function kekDeps(p: TestProtection, external: ReadonlySet<number> = new Set()) {
      return {
        keystore: p.keystore,
        keyring: p.keyring,
        dataKeys: p.dataKeys,
        audit: p.audit,
        externalReferences: async () => external,
      };
    }

    it("moves every data key to a new KEK version and retires the old one", async () => {
      const { p, ids } = await seeded();
      const result = await rotateKek(kekDeps(p), { batchSize: 2, actor: "test", onProgress: quiet });
      expect(result).toMatchObject({ resumed: false, current: 2, rewrapped: 5, retired: [1], kept: [] });
      const keks = await p.keyring.list(p.keystore);
      expect(keks.map((k) => `${k.version}:${k.status}`)).toEqual(["1:retired", "2:current"]);
      const material = await p.keystore
        .selectFrom("vault_kek_versions")
        .select("material")
        .where("version", "=", 1)
        .executeTakeFirstOrThrow();
      expect(material.material).toBeNull();
      const onOld = await p.keystore
        .selectFrom("vault_account_data_keys")
        .select("account_id")
        .where("kek_version", "=", 1)
        .execute();
      expect(onOld).toEqual([]);
      // Fresh caches: every value opens through the new KEK.
      p.dataKeys.cache.deletePrefix("");
      for (const [i, id] of ids.entries()) {
        expect(await readContactEmail(p.data.database.db, p.fields, id)).toBe(`owner${i}@brand.example`);
        expect(await p.secrets.get(`lwa.refresh_token.${id}`, { component: "test" })).toBe(
          `Atzr|refresh-${i}`,
        );
      }
      await expect(p.keyring.byVersion(p.keystore, 1)).rejects.toMatchObject({ code: "KEY_VERSION_RETIRED" });
    });

    it("finishes an interrupted rotation on the next run without creating another version", async () => {
      const counting = { current: null as ReturnType<typeof countingProvider> | null };
      const { p, ids } = await seeded({
        wrapProvider: (inner) => {
          counting.current = countingProvider(inner, 3);
          return counting.current.provider;
        },
      });
      await expect(rotateKek(kekDeps(p), { batchSize: 2, actor: "test", onProgress: quiet })).rejects.toThrow(
        "simulated crash",
      );
      const mid = await p.keystore.selectFrom("vault_account_data_keys").select(["kek_version"]).execute();
      expect(mid.filter((r) => r.kek_version === 2)).toHaveLength(2);
      const result = await rotateKek(kekDeps(p), { batchSize: 2, actor: "test", onProgress: quiet });
      expect(result).toMatchObject({ resumed: true, current: 2, rewrapped: 3, retired: [1] });
      expect((await p.keyring.list(p.keystore)).map((k) => k.version)).toEqual([1, 2]);
      p.dataKeys.cache.deletePrefix("");
      for (const [i, id] of ids.entries()) {
        expect(await readContactEmail(p.data.database.db, p.fields, id)).toBe(`owner${i}@brand.example`);
      }
    });

    it("keeps a KEK version while something outside the keystore still needs it", async () => {
      const { p } = await seeded(undefined, 1);
      const first = await rotateKek(kekDeps(p, new Set([1])), {
        batchSize: 10,
        actor: "test",
        onProgress: quiet,
      });
      expect(first).toMatchObject({ current: 2, retired: [], kept: [1] });
      const second = await rotateKek(kekDeps(p), { batchSize: 10, actor: "test", onProgress: quiet });
      expect(second).toMatchObject({ current: 3, retired: [1, 2], kept: [] });
    });

    it("rotates one account's data key, re-seals its fields and secrets, and retires the old version", async () => {
      const { p, ids } = await seeded(undefined, 2);
      const [a, b] = ids as [string, string];
      const deps = {
        db: p.data.database.db,
        dataKeys: p.dataKeys,
        fields: p.fields,
        secrets: p.secrets,
        audit: p.audit,
        clock: p.clock,
      };
      // Another process that already sealed for this account caches v1 as its current version.
      const otherKeys = createDataKeys({
        keystore: p.keystore,
        provider: p.provider,
        keyring: p.keyring,
        clock: p.clock,
      });
      const other = createFieldCipher({ dataKeys: otherKeys });
      const ref = { accountId: a, table: "seller_accounts", column: "contact_email", rowId: a };
      expect(await other.seal(ref, "warm@brand.example")).toMatch(/^sp1:v1:/);
      const early = await rotateAccountDataKey(deps, a, { batchSize: 1, actor: "test", onProgress: quiet });
      // Other processes may still seal with v1 for the grace period: v1 stays until it is over.
      expect(early).toMatchObject({ resumed: false, current: 2, resealed: 2, retired: [] });
      expect(early.retirePendingUntil).toBe(new Date(p.clock.now().getTime() + 30_000).toISOString());
      expect((await p.dataKeys.versions(a)).map((v) => `${v.version}:${v.status}`)).toEqual([
        "1:previous",
        "2:current",
      ]);
      // Within the grace period the other process still writes under v1 ...
      const straggler = await other.seal(ref, "late@brand.example");
      expect(straggler).toMatch(/^sp1:v1:/);
      await p.data.database.db
        .updateTable("seller_accounts")
        .set({ contact_email: straggler })
        .where("id", "=", a)
        .execute();
      // ... and the run after it re-seals that value before v1 is retired, so nothing is left unreadable.
      p.clock.advance(30_000);
      expect(await other.seal(ref, "fresh@brand.example")).toMatch(/^sp1:v2:/);
      const result = await rotateAccountDataKey(deps, a, { batchSize: 1, actor: "test", onProgress: quiet });
      expect(result).toEqual({
        resumed: true,
        current: 2,
        resealed: 2, // the straggler and the account's secret (the vault re-seals every value it holds)
        retired: [1],
        retirePendingUntil: null,
      });
      const row = await p.data.database.db
        .selectFrom("seller_accounts")
        .select("contact_email")
        .where("id", "=", a)
        .executeTakeFirstOrThrow();
      expect(row.contact_email).toMatch(/^sp1:v2:/);
      expect(await readContactEmail(p.data.database.db, p.fields, a)).toBe("late@brand.example");
      expect(await p.secrets.get(`lwa.refresh_token.${a}`, { component: "test" })).toBe("Atzr|refresh-0");
      const versions = await p.dataKeys.versions(a);
      expect(versions.map((v) => `${v.version}:${v.status}`)).toEqual(["1:retired", "2:current"]);
      await expect(p.dataKeys.byVersion(a, 1)).rejects.toMatchObject({ code: "KEY_VERSION_RETIRED" });
      // The other account is untouched.
      expect((await p.dataKeys.versions(b)).map((v) => v.version)).toEqual([1]);
      expect(await readContactEmail(p.data.database.db, p.fields, b)).toBe("owner1@brand.example");
    });

    it("resumes an account rotation whose re-sealing was interrupted", async () => {
      const { p, ids } = await seeded(undefined, 1);
      const a = ids[0] ?? "";
      await p.dataKeys.rotate(a); // as if the process died right after starting the rotation
      const deps = {
        db: p.data.database.db,
        dataKeys: p.dataKeys,
        fields: p.fields,
        secrets: p.secrets,
        audit: p.audit,
        clock: p.clock,
      };
      const result = await rotateAccountDataKey(deps, a, {
        batchSize: 10,
        actor: "test",
        onProgress: quiet,
        graceMs: 0,
      });
      expect(result).toEqual({
        resumed: true,
        current: 2,
        resealed: 2,
        retired: [1],
        retirePendingUntil: null,
      });
    });
  });
}
