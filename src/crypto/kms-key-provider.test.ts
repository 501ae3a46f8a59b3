import { promises as fs } from "node:fs";
import path from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import { afterEach, describe, expect, it } from "vitest";
import { fakeKms } from "../../test/support/fake-kms.js";
import { openTestProtection, type TestProtection } from "../../test/support/protection.js";
import { tempDir } from "../../test/support/stores.js";
import { rotateKek } from "../protection/key-rotation.js";
import { createDataKeys } from "./data-keys.js";
import { createFieldCipher } from "./field-cipher.js";
import { createKeyring } from "./keyring.js";
import { createKmsKeyProvider } from "./kms-key-provider.js";
import { loadMasterKey } from "./master-key.js";

const KEY_A = "arn:aws:kms:eu-west-1:123456789012:key/aaaaaaaa-0000-0000-0000-000000000001";
const KEY_B = "arn:aws:kms:eu-west-1:123456789012:key/bbbbbbbb-0000-0000-0000-000000000002";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function kms() {
  const fake = fakeKms();
  cleanups.push(() => fake.restore());
  return fake;
}

const ref = { accountId: "acct-1", table: "seller_accounts", column: "contact_email", rowId: "acct-1" };

describe("AWS KMS key provider", () => {
  it("generates, opens and re-wraps data keys through KMS with the encryption context", async () => {
    const fake = kms();
    const client = new KMSClient({ region: "eu-west-1" });
    const p: TestProtection = await openTestProtection("sqlite", {
      provider: createKmsKeyProvider({ client, keyId: KEY_A }),
    });
    cleanups.push(() => p.dispose());
    const sealed = await p.fields.seal(ref, "ops@brand.example");
    expect(fake.calls).toEqual(["GenerateDataKey"]);
    p.dataKeys.cache.deletePrefix("");
    expect(await p.fields.open(ref, sealed)).toBe("ops@brand.example");
    expect(fake.calls).toEqual(["GenerateDataKey", "Decrypt"]);

    // Move to a new KMS key: a new KEK version whose data keys are re-encrypted by KMS.
    const providerB = createKmsKeyProvider({ client, keyId: KEY_B });
    const keyringB = createKeyring({ provider: providerB, clock: p.clock });
    const dataKeysB = createDataKeys({
      keystore: p.keystore,
      provider: providerB,
      keyring: keyringB,
      clock: p.clock,
    });
    const result = await rotateKek(
      {
        keystore: p.keystore,
        keyring: keyringB,
        dataKeys: dataKeysB,
        audit: p.audit,
        externalReferences: async () => new Set(),
      },
      { batchSize: 10, actor: "test", onProgress: () => undefined },
    );
    expect(result).toMatchObject({ current: 2, rewrapped: 1 });
    expect(fake.calls.at(-1)).toBe("ReEncrypt");
    const row = await p.keystore
      .selectFrom("vault_kek_versions")
      .selectAll()
      .where("version", "=", 2)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ provider: "aws-kms", key_ref: KEY_B, material: null });
    expect(await createFieldCipher({ dataKeys: dataKeysB }).open(ref, sealed)).toBe("ops@brand.example");
  });

  it("reports KMS refusals as KEY_PROVIDER_FAILED naming the error, not the key", async () => {
    const fake = kms();
    const provider = createKmsKeyProvider({ client: new KMSClient({ region: "eu-west-1" }), keyId: KEY_A });
    const kek = { version: 1, provider: "aws-kms" as const, keyRef: KEY_A, material: null };
    const generated = await provider.generateDataKey(kek, { purpose: "t" });
    await expect(provider.decryptDataKey(kek, generated.wrapped, { purpose: "other" })).rejects.toMatchObject(
      {
        code: "KEY_PROVIDER_FAILED",
        message: "KMS Decrypt failed: InvalidCiphertextException.",
      },
    );
    fake.denyAll();
    const err = await provider.generateDataKey(kek, { purpose: "t" }).catch((e: Error) => e);
    expect(err).toMatchObject({
      code: "KEY_PROVIDER_FAILED",
      message: "KMS GenerateDataKey failed: AccessDeniedException.",
    });
    expect((err as Error).message).not.toContain("123456789012");
  });
});

describe("KMS-wrapped master key", () => {
  it("keeps only KMS ciphertext on disk and opens it again through KMS", async () => {
    kms();
    const tmp = tempDir("sp-kms-");
    cleanups.push(() => tmp.remove());
    const file = path.join(tmp.dir, "master.key.kms");
    const config = {
      kind: "file" as const,
      file,
      generateIfMissing: true,
      kms: { keyId: KEY_A, region: "eu-west-1", endpoint: null },
    };
    const first = await loadMasterKey(config);
    expect(first.generated).toBe(true);
    const text = await fs.readFile(file, "utf8");
    expect(text).toMatch(/^kms:v1:[A-Za-z0-9+/=]+\n$/);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const second = await loadMasterKey(config);
    expect(second.generated).toBe(false);
    expect(second.key.fingerprint).toBe(first.key.fingerprint);
    await expect(loadMasterKey({ ...config, kms: null })).rejects.toMatchObject({ code: "KEY_FILE_INVALID" });
    await expect(loadMasterKey({ ...config, kms: { ...config.kms, keyId: KEY_B } })).rejects.toMatchObject({
      code: "KEY_PROVIDER_FAILED",
    });
  });
});
