import { AppError } from "../platform/errors.js";
import { GCM_IV_BYTES, GCM_TAG_BYTES, type GcmBox } from "./aes-gcm.js";

/**
 * Sealed field text: `sp1:v<dataKeyVersion>:<iv>:<ciphertext>:<tag>` (base64url parts).
 * `sp1` is the format; the key version lets data-key rotation run while old values are still readable.
 */
export const SEALED_FORMAT = "sp1";
const SEALED = /^sp1:v([1-9][0-9]{0,8}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]*):([A-Za-z0-9_-]{22})$/;

/** Upper bound on a sealed value we are willing to parse (a 1 MiB plaintext, base64url-encoded). */
export const MAX_SEALED_LENGTH = 1_500_000;

export interface SealedParts extends GcmBox {
  keyVersion: number;
}

export function formatSealed(keyVersion: number, box: GcmBox): string {
  return `${SEALED_FORMAT}:v${keyVersion}:${box.iv.toString("base64url")}:${box.ciphertext.toString("base64url")}:${box.tag.toString("base64url")}`;
}

export function parseSealed(text: string): SealedParts {
  if (typeof text !== "string" || text.length > MAX_SEALED_LENGTH) throw new AppError("CIPHERTEXT_MALFORMED");
  const match = SEALED.exec(text);
  if (!match) throw new AppError("CIPHERTEXT_MALFORMED");
  const [, version, iv, ciphertext, tag] = match as unknown as [string, string, string, string, string];
  const parts = {
    keyVersion: Number(version),
    iv: Buffer.from(iv, "base64url"),
    ciphertext: Buffer.from(ciphertext, "base64url"),
    tag: Buffer.from(tag, "base64url"),
  };
  if (parts.iv.length !== GCM_IV_BYTES || parts.tag.length !== GCM_TAG_BYTES)
    throw new AppError("CIPHERTEXT_MALFORMED");
  return parts;
}

export function isSealed(text: unknown): text is string {
  return typeof text === "string" && text.startsWith(`${SEALED_FORMAT}:v`);
}
