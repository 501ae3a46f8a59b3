import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";
import { AppError } from "../platform/errors.js";

export const AES_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

export interface GcmBox {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

// One call into the CSPRNG costs about as much as a whole small GCM seal (~6 µs on the reference machine,
// whatever the size up to a few KB), so IVs are drawn from a pool filled in one call, the way Node buffers
// randomUUID. Each 12-byte slice is handed out once; a spent pool is replaced, never refilled in place, so an
// IV already returned keeps its bytes.
const IV_POOL_BYTES = GCM_IV_BYTES * 512;
let ivPool = Buffer.alloc(0);
let ivOffset = 0;

/** A fresh random 96-bit IV, never handed out twice. */
export function randomIv(): Buffer {
  if (ivOffset + GCM_IV_BYTES > ivPool.length) {
    ivPool = randomFillSync(Buffer.allocUnsafe(IV_POOL_BYTES));
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + GCM_IV_BYTES);
  ivOffset += GCM_IV_BYTES;
  return iv;
}

/** AES-256-GCM with a fresh random 96-bit IV per message, authenticating `aad`. */
export function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: Buffer): GcmBox {
  if (key.length !== AES_KEY_BYTES) throw new RangeError("AES-256 needs a 32-byte key");
  const iv = randomIv();
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
