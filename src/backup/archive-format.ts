import { createHash } from "node:crypto";
import { z } from "zod";
import { AppError } from "../platform/errors.js";

/**
 * Backup archive, format 1. All integers big-endian.
 *
 *   preamble  "SPBACKUP" (8) | format version u16                       -> else BACKUP_MALFORMED
 *   header    length u32 | ~length u32 | header JSON (UTF-8) | SHA-256 of every byte before it
 *   frames    flags u8 (bit 0 = final) | length u32 | ~length u32 | IV (12) | ciphertext (length) | tag (16)
 *
 * Each frame is AES-256-GCM under the backup's own data key with a fresh random IV; its AAD is
 * (header hash, frame index, final flag), so a frame from another archive, another position, a forged
 * header or a non-final frame passed off as the last one does not authenticate (BACKUP_TAMPERED). Every
 * frame but the final one holds exactly `chunkSize` plaintext bytes; an archive without its final frame
 * is BACKUP_TRUNCATED. The length complements and the header digest are not security (GCM is): they make
 * accidental damage to framing bytes read as tampering rather than as a truncation or a bogus header.
 */
export const MAGIC = Buffer.from("SPBACKUP", "latin1");
export const FORMAT_VERSION = 1;
export const PREAMBLE = Buffer.concat([MAGIC, u16(FORMAT_VERSION)]);
export const LENGTH_FIELD_BYTES = 8;
export const HEADER_DIGEST_BYTES = 32;
export const MAX_HEADER_BYTES = 64 * 1024;
export const FRAME_HEAD_BYTES = 9;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const FINAL_FLAG = 0x01;
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;

export const headerSchema = z
  .object({
    format: z.literal("seller-pilot-backup"),
    backupId: z.string().min(1).max(64),
    createdAt: z.string().min(1).max(40),
    store: z.enum(["sqlite", "postgres"]),
    /** The data-store migrations applied when the snapshot was taken, in order. */
    migrations: z.array(z.string().min(1).max(200)).max(10_000),
    kekVersion: z.number().int().positive(),
    provider: z.enum(["local", "aws-kms"]),
    /** The backup's data key wrapped by KEK `kekVersion`, context {purpose:"backup", backup: backupId}. */
    wrappedKey: z.string().min(1).max(4096),
    /** Identifies the master key for error messages; derived one-way, reveals nothing about it. */
    masterKeyFingerprint: z.string().max(64),
    cipher: z.literal("AES-256-GCM"),
    chunkSize: z.number().int().min(MIN_CHUNK_SIZE).max(MAX_CHUNK_SIZE),
  })
  .strict();

export type ArchiveHeader = z.infer<typeof headerSchema>;

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** A length and its bitwise complement: any damage to either shows as a mismatch. */
export function lengthField(n: number): Buffer {
  const b = Buffer.alloc(LENGTH_FIELD_BYTES);
  b.writeUInt32BE(n >>> 0, 0);
  b.writeUInt32BE(~n >>> 0, 4);
  return b;
}

/** The length in a length field, or null when the complement does not match. */
export function readLengthField(b: Buffer, offset = 0): number | null {
  const n = b.readUInt32BE(offset);
  return ~n >>> 0 === b.readUInt32BE(offset + 4) ? n : null;
}

/** Preamble, length field and header JSON, followed by their SHA-256 (the header hash every frame binds). */
export function encodeHeader(header: ArchiveHeader): { bytes: Buffer; hash: Buffer } {
  const json = Buffer.from(JSON.stringify(headerSchema.parse(header)), "utf8");
  if (json.length > MAX_HEADER_BYTES) throw new RangeError("backup header too large");
  const body = Buffer.concat([PREAMBLE, lengthField(json.length), json]);
  const hash = createHash("sha256").update(body).digest();
  return { bytes: Buffer.concat([body, hash]), hash };
}

export function parseHeaderJson(json: Buffer): ArchiveHeader {
  let value: unknown;
  try {
    value = JSON.parse(json.toString("utf8"));
  } catch {
    throw new AppError("BACKUP_MALFORMED", "The backup header is not JSON.");
  }
  const parsed = headerSchema.safeParse(value);
  if (!parsed.success) throw new AppError("BACKUP_MALFORMED", "The backup header is not valid.");
  return parsed.data;
}

export function frameHead(final: boolean, length: number): Buffer {
  const b = Buffer.alloc(FRAME_HEAD_BYTES);
  b.writeUInt8(final ? FINAL_FLAG : 0, 0);
  lengthField(length).copy(b, 1);
  return b;
}

export function frameAad(headerHash: Buffer, index: number, final: boolean): Buffer {
  const b = Buffer.alloc(HEADER_DIGEST_BYTES + 9);
  headerHash.copy(b, 0);
  b.writeBigUInt64BE(BigInt(index), HEADER_DIGEST_BYTES);
  b.writeUInt8(final ? 1 : 0, HEADER_DIGEST_BYTES + 8);
  return b;
}

/** The encryption context the backup's data key is wrapped under (KMS records it in CloudTrail). */
export function backupKeyContext(backupId: string): Readonly<Record<string, string>> {
  return { purpose: "backup", backup: backupId };
}
