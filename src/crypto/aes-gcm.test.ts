import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { GCM_IV_BYTES, gcmDecrypt, gcmEncrypt, randomIv } from "./aes-gcm.js";

describe("randomIv", () => {
  it("never hands out the same IV twice, across several pool refills", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const iv = randomIv();
      expect(iv.length).toBe(GCM_IV_BYTES);
      seen.add(iv.toString("hex"));
    }
    expect(seen.size).toBe(5000);
  });

  it("keeps an IV's bytes after its pool is spent and replaced", () => {
    const first = randomIv();
    const copy = Buffer.from(first);
    for (let i = 0; i < 2000; i++) randomIv();
    expect(first.equals(copy)).toBe(true);
  });

  it("seals with distinct IVs and opens what it sealed", () => {
    const key = randomBytes(32);
    const aad = Buffer.from("acc\norders\ncol\nrow");
    const a = gcmEncrypt(key, Buffer.from("Jane Doe"), aad);
    const b = gcmEncrypt(key, Buffer.from("Jane Doe"), aad);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
    expect(gcmDecrypt(key, a, aad).toString()).toBe("Jane Doe");
    expect(gcmDecrypt(key, b, aad).toString()).toBe("Jane Doe");
  });
});
