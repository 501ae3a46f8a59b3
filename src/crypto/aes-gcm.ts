import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { AppError } from "../platform/errors.js";

export const AES_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

export interface GcmBox {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** AES-256-GCM with a fresh random 96-bit IV per message, authenticating `aad`. */
export function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: Buffer): GcmBox {
  if (key.length !== AES_KEY_BYTES) throw new RangeError("AES-256 needs a 32-byte key");
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Decrypts and authenticates; any mismatch (key, IV, AAD, ciphertext, tag) is CIPHERTEXT_TAMPERED. */
export function gcmDecrypt(key: Buffer, box: GcmBox, aad: Buffer): Buffer {
  if (box.iv.length !== GCM_IV_BYTES || box.tag.length !== GCM_TAG_BYTES) {
    throw new AppError("CIPHERTEXT_MALFORMED");
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, box.iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(box.tag);
    return Buffer.concat([decipher.update(box.ciphertext), decipher.final()]);
  } catch (err) {
    throw new AppError("CIPHERTEXT_TAMPERED", undefined, { cause: err });
  }
}

/** Compact binary form for wrapped keys: iv || tag || ciphertext. */
export function packBox(box: GcmBox): Buffer {
  return Buffer.concat([box.iv, box.tag, box.ciphertext]);
}

export function unpackBox(packed: Buffer): GcmBox {
  if (packed.length < GCM_IV_BYTES + GCM_TAG_BYTES) throw new AppError("CIPHERTEXT_MALFORMED");
  return {
    iv: packed.subarray(0, GCM_IV_BYTES),
    tag: packed.subarray(GCM_IV_BYTES, GCM_IV_BYTES + GCM_TAG_BYTES),
    ciphertext: packed.subarray(GCM_IV_BYTES + GCM_TAG_BYTES),
  };
}
