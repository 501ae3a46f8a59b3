import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { countingProvider, openTestProtection, type TestProtection } from "../../test/support/protection.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { createLocalKeyProvider } from "./local-key-provider.js";
import { masterKeyFromBytes } from "./master-key.js";

const open: TestProtection[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.dispose();
});

const ref = (accountId: string, rowId = "row-1", column = "contact_email", table = "seller_accounts") => ({
  accountId,
  table,
  column,
  rowId,
});

async function expectCode(promise: Promise<unknown>, code: string) {
  await expect(promise).rejects.toMatchObject({ code });
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`sealed fields on ${target.name}`, () => {
    async function protection(options?: Parameters<typeof openTestProtection>[1]) {
      const p = await openTestProtection(target.name, options);
      open.push(p);
      return p;
    }

    it("round-trips values in the versioned sp1 format with a fresh IV each time", async () => {
      const { fields } = await protection();
      const a = await fields.seal(ref("acct-a"), "jane.doe@example.com");
      const b = await fields.seal(ref("acct-a"), "jane.doe@example.com");
      expect(a).toMatch(/^sp1:v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]{22}$/);
      expect(a).not.toBe(b);
      expect(a).not.toContain("jane");
      expect(await fields.open(ref("acct-a"), a)).toBe("jane.doe@example.com");
      expect(await fields.open(ref("acct-a"), await fields.seal(ref("acct-a"), ""))).toBe("");
      const unicode = "Zoë Ångström 東京 🚚";
      expect(await fields.open(ref("acct-a"), await fields.seal(ref("acct-a"), unicode))).toBe(unicode);
    });

    it("binds each value to its account, table, column and row", async () => {
      const { fields } = await protection();
      const sealed = await fields.seal(ref("acct-a"), "secret address");
      await fields.seal(ref("acct-b"), "warm up b's key");
      await expectCode(fields.open(ref("acct-a", "row-2"), sealed), "CIPHERTEXT_TAMPERED");
      await expectCode(fields.open(ref("acct-a", "row-1", "other_column"), sealed), "CIPHERTEXT_TAMPERED");
      await expectCode(
        fields.open(ref("acct-a", "row-1", "contact_email", "orders"), sealed),
        "CIPHERTEXT_TAMPERED",
      );
      await expectCode(fields.open(ref("acct-b"), sealed), "CIPHERTEXT_TAMPERED");
    });

    it("never returns garbage for an altered ciphertext (property)", async () => {
      const { fields } = await protection();
      const sealed = await fields.seal(ref("acct-a"), "1600 Amazon Way, Seattle");
      await fc.assert(
        fc.asyncProperty(fc.nat(sealed.length - 1), fc.constantFrom(..."AQgw_-0z:."), async (pos, ch) => {
          const altered = sealed.slice(0, pos) + ch + sealed.slice(pos + 1);
          if (altered === sealed) return;
          try {
            const value = await fields.open(ref("acct-a"), altered);
            // base64url has slack bits in the last character of a part; only the exact original may open.
            expect(value).toBe("1600 Amazon Way, Seattle");
          } catch (err) {
            expect(["CIPHERTEXT_TAMPERED", "CIPHERTEXT_MALFORMED", "KEY_VERSION_UNKNOWN"]).toContain(
              (err as { code?: string }).code,
            );
          }
        }),
        { numRuns: 150 },
      );
    });

    it("refuses malformed input with CIPHERTEXT_MALFORMED", async () => {
      const { fields } = await protection();
      await fields.seal(ref("acct-a"), "x");
      for (const bad of [
        "",
        "plain text",
        "sp1:v1:abc",
        "sp2:v1:AAAAAAAAAAAAAAAA::AAAAAAAAAAAAAAAAAAAAAA",
        "sp1:v0:x:y:z",
        "x".repeat(2_000_000),
      ]) {
        await expectCode(fields.open(ref("acct-a"), bad), "CIPHERTEXT_MALFORMED");
      }
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 80 }), async (text) => {
          await expect(fields.open(ref("acct-a"), text)).rejects.toMatchObject({
            code: expect.stringMatching(/^CIPHERTEXT_(MALFORMED|TAMPERED)$|^KEY_VERSION_UNKNOWN$/),
          });
        }),
        { numRuns: 200 },
      );
    });

    it("caches unwrapped data keys within a count and lifetime bound", async () => {
      let counter: ReturnType<typeof countingProvider> | null = null;
      const p = await protection({
        wrapProvider: (inner) => {
          counter = countingProvider(inner);
          return counter.provider;
        },
        cacheLimits: { maxEntries: 2, ttlMs: 5 * MS.minute },
      });
      const calls = (counter as unknown as ReturnType<typeof countingProvider>).calls;
      const sealed: string[] = [];
      for (const id of ["a", "b", "c"]) sealed.push(await p.fields.seal(ref(`acct-${id}`), id));
      expect(calls.generate).toBe(3);
      expect(p.dataKeys.cache.size).toBe(2);
      // acct-a was evicted (least recently used); b and c are cached.
      await p.fields.open(ref("acct-c"), sealed[2] ?? "");
      expect(calls.decrypt).toBe(0);
      await p.fields.open(ref("acct-a"), sealed[0] ?? "");
      expect(calls.decrypt).toBe(1);
      p.clock.advance(5 * MS.minute + 1);
      await p.fields.open(ref("acct-a"), sealed[0] ?? "");
      expect(calls.decrypt).toBe(2);
    });

    it("makes an account's values unreadable the moment its keys are destroyed", async () => {
      const { fields, dataKeys } = await protection();
      const a = await fields.seal(ref("acct-a"), "gone soon");
      const b = await fields.seal(ref("acct-b"), "stays");
      expect(await fields.open(ref("acct-a"), a)).toBe("gone soon");
      expect(await dataKeys.destroyAll("acct-a")).toBe(1);
      await expectCode(fields.open(ref("acct-a"), a), "DATA_KEY_DESTROYED");
      expect(await fields.open(ref("acct-b"), b)).toBe("stays");
    });

    it("cannot open data under another master key", async () => {
      const p = await protection();
      const sealed = await p.fields.seal(ref("acct-a"), "value");
      const foreign = createLocalKeyProvider(masterKeyFromBytes(Buffer.alloc(32, 3)));
      const kek = await p.keyring.current(p.keystore);
      const row = await p.keystore
        .selectFrom("vault_account_data_keys")
        .selectAll()
        .executeTakeFirstOrThrow();
      await expect(
        foreign.decryptDataKey(kek, Buffer.from(row.wrapped ?? "", "base64"), {
          purpose: "account-data-key",
          account: "acct-a",
          version: "1",
        }),
      ).rejects.toMatchObject({ code: "CIPHERTEXT_TAMPERED" });
      expect(await p.fields.open(ref("acct-a"), sealed)).toBe("value");
    });
  });
}
