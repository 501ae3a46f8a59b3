import { AppError } from "../platform/errors.js";
import { gcmDecrypt, gcmEncrypt } from "./aes-gcm.js";
import type { DataKeys } from "./data-keys.js";
import { formatSealed, parseSealed, SEALED_FORMAT } from "./sealed-format.js";

/** Where a sealed value lives. The ciphertext is bound to it: copied anywhere else, it does not open. */
export interface FieldRef {
  accountId: string;
  table: string;
  column: string;
  rowId: string;
}

const MAX_PLAINTEXT_BYTES = 1024 * 1024;

function aad(ref: FieldRef, keyVersion: number): Buffer {
  // Length-prefixed parts: no choice of ids can make two different refs produce the same bytes.
  const parts = [SEALED_FORMAT, `v${keyVersion}`, ref.accountId, ref.table, ref.column, ref.rowId];
  return Buffer.from(parts.map((p) => `${Buffer.byteLength(p)}:${p}`).join("|"), "utf8");
}

/**
 * The one small API repositories use for PII and credentials: seal before writing, open after reading.
 * Nothing else touches keys.
 */
export function createFieldCipher(deps: { dataKeys: Pick<DataKeys, "current" | "byVersion"> }) {
  const { dataKeys } = deps;

  async function seal(ref: FieldRef, plaintext: string): Promise<string> {
    const bytes = Buffer.from(plaintext, "utf8");
    if (bytes.length > MAX_PLAINTEXT_BYTES) throw new RangeError("sealed values are limited to 1 MiB");
    const { version, key } = await dataKeys.current(ref.accountId);
    return formatSealed(version, gcmEncrypt(key, bytes, aad(ref, version)));
  }

  async function open(ref: FieldRef, sealed: string): Promise<string> {
    const parts = parseSealed(sealed);
    const key = await dataKeys.byVersion(ref.accountId, parts.keyVersion);
    return gcmDecrypt(key, parts, aad(ref, parts.keyVersion)).toString("utf8");
  }

  /** Opens with whatever version the value carries and seals again under the account's current key. */
  async function reseal(ref: FieldRef, sealed: string): Promise<string> {
    return seal(ref, await open(ref, sealed));
  }

  function keyVersionOf(sealed: string): number {
    try {
      return parseSealed(sealed).keyVersion;
    } catch {
      throw new AppError("CIPHERTEXT_MALFORMED");
    }
  }

  return { seal, open, reseal, keyVersionOf };
}

export type FieldCipher = ReturnType<typeof createFieldCipher>;
