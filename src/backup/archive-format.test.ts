import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { codeOf } from "../../test/support/backup-kit.js";
import { tempDir } from "../../test/support/stores.js";
import {
  type ArchiveHeader,
  encodeHeader,
  FRAME_HEAD_BYTES,
  IV_BYTES,
  MIN_CHUNK_SIZE,
  PREAMBLE,
  TAG_BYTES,
} from "./archive-format.js";
import { ArchiveDecryptor, readArchiveHeader } from "./archive-reader.js";
import { ArchiveEncryptor } from "./archive-writer.js";

const KEY = randomBytes(32);
const CHUNK = MIN_CHUNK_SIZE;
const FRAME = FRAME_HEAD_BYTES + IV_BYTES + CHUNK + TAG_BYTES;

function header(overrides: Partial<ArchiveHeader> = {}): ArchiveHeader {
  return {
    format: "seller-pilot-backup",
    backupId: randomBytes(8).toString("hex"),
    createdAt: "2026-11-28T12:00:00.000Z",
    store: "sqlite",
    migrations: ["0001-instance-settings"],
    kekVersion: 1,
    provider: "local",
    wrappedKey: randomBytes(60).toString("base64"),
    masterKeyFingerprint: "0011223344556677",
    cipher: "AES-256-GCM",
    chunkSize: CHUNK,
    ...overrides,
  };
}

function collector(): { sink: Writable; bytes(): Buffer } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      parts.push(chunk);
      done();
    },
  });
  return { sink, bytes: () => Buffer.concat(parts) };
}

async function seal(payload: Buffer, h: ArchiveHeader = header()): Promise<Buffer> {
  const out = collector();
  await pipeline(Readable.from([payload], { objectMode: false }), new ArchiveEncryptor(h, KEY), out.sink);
  return out.bytes();
}

/** Feeds the archive in the given pieces (exercising reassembly across reads) and returns the plaintext. */
async function open(archive: Buffer, cuts: number[] = [], key: Buffer = KEY): Promise<Buffer> {
  const points = [...new Set(cuts.map((c) => c % (archive.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let last = 0;
  for (const p of [...points, archive.length]) {
    pieces.push(archive.subarray(last, p));
    last = p;
  }
  const out = collector();
  await pipeline(
    Readable.from(pieces, { objectMode: false }),
    new ArchiveDecryptor(async () => key),
    out.sink,
  );
  return out.bytes();
}

function headerBytes(archive: Buffer): number {
  return PREAMBLE.length + 8 + archive.readUInt32BE(PREAMBLE.length) + 32;
}

function frames(archive: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = headerBytes(archive);
  while (at < archive.length) {
    const length = archive.readUInt32BE(at + 1);
    const size = FRAME_HEAD_BYTES + IV_BYTES + length + TAG_BYTES;
    out.push(archive.subarray(at, at + size));
    at += size;
  }
  return out;
}

describe("backup archive format", () => {
  it("round-trips any payload, fed in any pieces", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5 * CHUNK }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (bytes, cuts) => {
          const payload = Buffer.from(bytes);
          const archive = await seal(payload);
          expect((await open(archive, cuts)).equals(payload)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("fills every frame but the last, marks only the last final, and never repeats an IV", async () => {
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK]) {
      const archive = await seal(randomBytes(size));
      const all = frames(archive);
      expect(all.length, `payload ${size}`).toBe(Math.max(1, Math.ceil(size / CHUNK)));
      all.forEach((frame, i) => {
        const final = i === all.length - 1;
        expect(frame.readUInt8(0)).toBe(final ? 1 : 0);
        if (!final) expect(frame.readUInt32BE(1)).toBe(CHUNK);
      });
      const ivs = all.map((f) => f.subarray(FRAME_HEAD_BYTES, FRAME_HEAD_BYTES + IV_BYTES).toString("hex"));
      expect(new Set(ivs).size).toBe(ivs.length);
    }
  });

  it("never shows the plaintext", async () => {
    const canary = Buffer.from(`CANARY-${randomBytes(8).toString("hex")}`);
    const archive = await seal(Buffer.concat([randomBytes(100), canary, randomBytes(3 * CHUNK)]));
    expect(archive.includes(canary)).toBe(false);
  });

  it("reports a cut anywhere after the first byte as BACKUP_TRUNCATED", async () => {
    const archive = await seal(randomBytes(3 * CHUNK + 100));
    const boundaries = [headerBytes(archive), headerBytes(archive) + FRAME, headerBytes(archive) + 3 * FRAME];
    for (const at of [1, PREAMBLE.length - 1, PREAMBLE.length + 3, ...boundaries, archive.length - 1]) {
      expect(await codeOf(open(archive.subarray(0, at))), `cut at ${at}`).toBe("BACKUP_TRUNCATED");
      expect(await codeOf(readArchiveHeaderOf(archive.subarray(0, at))), `header, cut at ${at}`).toMatch(
        at >= headerBytes(archive) ? /^OK$/ : /^BACKUP_TRUNCATED$/,
      );
    }
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: archive.length - 1 }), async (at) => {
        expect(await codeOf(open(archive.subarray(0, at)))).toBe("BACKUP_TRUNCATED");
      }),
      { numRuns: 80 },
    );
    expect(await codeOf(open(Buffer.alloc(0)))).toBe("BACKUP_MALFORMED");
  });

  it("reports any altered byte: BACKUP_MALFORMED in the preamble, BACKUP_TAMPERED anywhere else", async () => {
    const archive = await seal(randomBytes(2 * CHUNK + 300));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: archive.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, mask) => {
          const damaged = Buffer.from(archive);
          damaged[at] = (damaged[at] as number) ^ mask;
          const want = at < PREAMBLE.length ? "BACKUP_MALFORMED" : "BACKUP_TAMPERED";
          expect(await codeOf(open(damaged)), `byte ${at} ^ ${mask}`).toBe(want);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("detects reordered, duplicated, dropped, foreign and trailing frames", async () => {
    const archive = await seal(randomBytes(3 * CHUNK + 10));
    const head = archive.subarray(0, headerBytes(archive));
    const [f0, f1, f2, f3] = frames(archive) as [Buffer, Buffer, Buffer, Buffer];
    const other = frames(await seal(randomBytes(3 * CHUNK + 10)));
    const cases: Record<string, Buffer[]> = {
      swapped: [head, f1, f0, f2, f3],
      duplicated: [head, f0, f0, f1, f2, f3],
      dropped: [head, f0, f2, f3],
      "final moved up": [head, f0, f3],
      "foreign frame": [head, f0, other[1] as Buffer, f2, f3],
      "final repeated": [head, f0, f1, f2, f3, f3],
      "trailing bytes": [head, f0, f1, f2, f3, Buffer.from([0])],
    };
    for (const [name, parts] of Object.entries(cases)) {
      expect(await codeOf(open(Buffer.concat(parts))), name).toBe("BACKUP_TAMPERED");
    }
    // A non-final frame relabelled final (flag and length): the AAD still says "not final".
    const relabelled = Buffer.from(f0);
    relabelled[0] = 1;
    expect(await codeOf(open(Buffer.concat([head, relabelled])))).toBe("BACKUP_TAMPERED");
  });

  it("refuses a header from another archive and a wrong key", async () => {
    const a = await seal(randomBytes(CHUNK + 5));
    const b = await seal(randomBytes(CHUNK + 5));
    const spliced = Buffer.concat([b.subarray(0, headerBytes(b)), a.subarray(headerBytes(a))]);
    expect(await codeOf(open(spliced))).toBe("BACKUP_TAMPERED");
    expect(await codeOf(open(a, [], randomBytes(32)))).toBe("BACKUP_TAMPERED");
  });

  it("rejects files that are not archives, or of another format version, as BACKUP_MALFORMED", async () => {
    const archive = await seal(randomBytes(10));
    const v2 = Buffer.from(archive);
    v2.writeUInt16BE(2, 8);
    for (const bytes of [
      Buffer.from("SQLite format 3\0 and so on"),
      randomBytes(4096),
      Buffer.from("{}\n"),
      v2,
    ]) {
      expect(await codeOf(open(bytes))).toBe("BACKUP_MALFORMED");
      expect(await codeOf(readArchiveHeaderOf(bytes))).toBe("BACKUP_MALFORMED");
    }
  });

  it("writes a header readArchiveHeader reads back, with the hash every frame binds", async () => {
    const h = header();
    const archive = await seal(Buffer.from("x"), h);
    const read = await readArchiveHeaderOf(archive);
    expect(read.header).toEqual(h);
    expect(read.hash.equals(encodeHeader(h).hash)).toBe(true);
  });
});

const scratch = tempDir("sp-archive-");
afterAll(() => scratch.remove());

async function readArchiveHeaderOf(bytes: Buffer) {
  const file = path.join(scratch.dir, `${randomBytes(6).toString("hex")}.spbak`);
  await fs.writeFile(file, bytes);
  return readArchiveHeader(file);
}
