import { randomFillSync } from "node:crypto";

const POOL_IDS = 128;
const RANDOM_BYTES = 10;
const pool = Buffer.alloc(POOL_IDS * RANDOM_BYTES);
let offset = pool.length;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * A UUID version 7 (RFC 9562): the entry's time in milliseconds, then 74 random bits. Entry ids carry a
 * unique index, and random (v4) ids land on a random page of it: every committed batch rewrote one index
 * page per entry (encrypted and written to the WAL on SQLite, a full-page image on PostgreSQL), the largest
 * part of an audited request's cost and growing with the log. Time-ordered ids append at the index's end.
 * Uniqueness rests on the random bits, not on the clock (a clock that stands still or steps back is fine).
 */
export function newEntryId(at: Date): string {
  if (offset + RANDOM_BYTES > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const r = pool.subarray(offset, offset + RANDOM_BYTES);
  offset += RANDOM_BYTES;
  const ms = Math.max(0, Math.min(at.getTime(), 0xffff_ffff_ffff));
  const time = ms.toString(16).padStart(12, "0");
  const h = (i: number) => HEX[r[i] as number] as string;
  const version = HEX[0x70 | ((r[0] as number) & 0x0f)] as string;
  const variant = HEX[0x80 | ((r[2] as number) & 0x3f)] as string;
  return `${time.slice(0, 8)}-${time.slice(8)}-${version}${h(1)}-${variant}${h(3)}-${h(4)}${h(5)}${h(6)}${h(7)}${h(8)}${h(9)}`;
}
