import { createDecipheriv, createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { Transform, type TransformCallback } from "node:stream";
import { AppError } from "../platform/errors.js";
import {
  type ArchiveHeader,
  FINAL_FLAG,
  FRAME_HEAD_BYTES,
  frameAad,
  HEADER_DIGEST_BYTES,
  IV_BYTES,
  LENGTH_FIELD_BYTES,
  MAX_HEADER_BYTES,
  PREAMBLE,
  parseHeaderJson,
  readLengthField,
  TAG_BYTES,
} from "./archive-format.js";

/** Resolves the backup's data key from its header (unwrapping it under the named KEK). */
export type KeyOpener = (header: ArchiveHeader, headerHash: Buffer) => Promise<Buffer>;

const tampered = (message?: string) => new AppError("BACKUP_TAMPERED", message);
const truncated = () => new AppError("BACKUP_TRUNCATED");

/** Bytes received but not yet parsed; hands out exact-length slices, copying only across read chunks. */
class ByteQueue {
  #chunks: Buffer[] = [];
  #head = 0;
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.#chunks.push(b);
    this.length += b.length;
  }

  #read(n: number, consume: boolean): Buffer {
    const first = this.#chunks[0];
    if (first && first.length - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n);
      if (consume) this.#advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let head = this.#head;
    for (const chunk of this.#chunks) {
      if (filled === n) break;
      const k = Math.min(n - filled, chunk.length - head);
      chunk.copy(out, filled, head, head + k);
      filled += k;
      head = 0;
    }
    if (consume) this.#advance(n);
    return out;
  }

  #advance(n: number): void {
    this.length -= n;
    let left = n;
    while (left > 0) {
      const first = this.#chunks[0] as Buffer;
      const available = first.length - this.#head;
      if (left < available) {
        this.#head += left;
        return;
      }
      left -= available;
      this.#chunks.shift();
      this.#head = 0;
    }
  }

  take(n: number): Buffer {
    return this.#read(n, true);
  }

  peek(n: number): Buffer {
    return this.#read(Math.min(n, this.length), false);
  }
}

/** The preamble so far is a prefix of ours (else the file is not an archive at all). */
function checkPreamble(bytes: Buffer): void {
  if (!bytes.equals(PREAMBLE.subarray(0, bytes.length))) {
    throw new AppError(
      "BACKUP_MALFORMED",
      "The file is not a Seller Pilot backup (or a format this version cannot read).",
    );
  }
}

function headerLength(field: Buffer): number {
  const n = readLengthField(field);
  if (n === null || n === 0 || n > MAX_HEADER_BYTES)
    throw tampered("The backup header's length was altered.");
  return n;
}

function checkHeader(field: Buffer, json: Buffer, digest: Buffer): { header: ArchiveHeader; hash: Buffer } {
  const hash = createHash("sha256").update(PREAMBLE).update(field).update(json).digest();
  if (!hash.equals(digest)) throw tampered("The backup header was altered.");
  return { header: parseHeaderJson(json), hash };
}

/**
 * Archive bytes in, authenticated plaintext out. Nothing is emitted before its frame authenticated; a
 * consumer may still see frames of an archive whose end later turns out cut or altered, so whatever it
 * builds must stay provisional until the stream has finished without error.
 */
export class ArchiveDecryptor extends Transform {
  readonly #openKey: KeyOpener;
  readonly #queue = new ByteQueue();
  readonly #fileHash = createHash("sha256");
  #state: "preamble" | "length" | "header" | "frame-head" | "frame-body" = "preamble";
  #lengthField: Buffer = Buffer.alloc(0);
  #headerLength = 0;
  #header: ArchiveHeader | null = null;
  #headerHash: Buffer = Buffer.alloc(0);
  #key: Buffer | null = null;
  #index = 0;
  #frameFinal = false;
  #frameLength = 0;
  #sawFinal = false;
  #bytes = 0;

  constructor(openKey: KeyOpener) {
    super({ readableHighWaterMark: 2 * 1024 * 1024 });
    this.#openKey = openKey;
  }

  get header(): ArchiveHeader | null {
    return this.#header;
  }

  get bytesRead(): number {
    return this.#bytes;
  }

  /** Archive bytes read, their SHA-256 (hex) and the number of frames; complete after the stream ends. */
  get summary(): { bytes: number; sha256: string; frames: number } {
    return { bytes: this.#bytes, sha256: this.#fileHash.copy().digest("hex"), frames: this.#index };
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#fileHash.update(data);
    this.#bytes += data.length;
    this.#queue.push(data);
    this.#drain().then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#sawFinal && this.#state === "frame-head" && this.#queue.length === 0) {
      this.#key?.fill(0);
      callback();
      return;
    }
    if (this.#state === "preamble" && this.#bytes === 0) {
      callback(new AppError("BACKUP_MALFORMED", "The file is empty."));
      return;
    }
    callback(truncated());
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#key?.fill(0);
    callback(err);
  }

  async #drain(): Promise<void> {
    for (;;) {
      const q = this.#queue;
      switch (this.#state) {
        case "preamble":
          checkPreamble(q.peek(PREAMBLE.length));
          if (q.length < PREAMBLE.length) return;
          q.take(PREAMBLE.length);
          this.#state = "length";
          break;
        case "length":
          if (q.length < LENGTH_FIELD_BYTES) return;
          this.#lengthField = Buffer.from(q.take(LENGTH_FIELD_BYTES));
          this.#headerLength = headerLength(this.#lengthField);
          this.#state = "header";
          break;
        case "header": {
          if (q.length < this.#headerLength + HEADER_DIGEST_BYTES) return;
          const json = q.take(this.#headerLength);
          const { header, hash } = checkHeader(this.#lengthField, json, q.take(HEADER_DIGEST_BYTES));
          this.#header = header;
          this.#headerHash = hash;
          this.#key = await this.#openKey(header, hash);
          this.#state = "frame-head";
          break;
        }
        case "frame-head": {
          if (q.length === 0) return;
          if (this.#sawFinal) throw tampered("Data follows the backup's final chunk.");
          if (q.length < FRAME_HEAD_BYTES) return;
          const head = q.take(FRAME_HEAD_BYTES);
          const flags = head.readUInt8(0);
          const length = readLengthField(head, 1);
          const chunkSize = (this.#header as ArchiveHeader).chunkSize;
          this.#frameFinal = (flags & FINAL_FLAG) !== 0;
          if ((flags & ~FINAL_FLAG) !== 0 || length === null || length > chunkSize) throw tampered();
          if (!this.#frameFinal && length !== chunkSize) throw tampered();
          this.#frameLength = length;
          this.#state = "frame-body";
          break;
        }
        case "frame-body": {
          if (q.length < IV_BYTES + this.#frameLength + TAG_BYTES) return;
          const iv = q.take(IV_BYTES);
          const ciphertext = q.take(this.#frameLength);
          const tag = q.take(TAG_BYTES);
          this.push(this.#open(iv, ciphertext, tag));
          this.#index += 1;
          this.#sawFinal = this.#frameFinal;
          this.#state = "frame-head";
          break;
        }
      }
    }
  }

  #open(iv: Buffer, ciphertext: Buffer, tag: Buffer): Buffer {
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key as Buffer, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(frameAad(this.#headerHash, this.#index, this.#frameFinal));
      decipher.setAuthTag(tag);
      const plaintext = decipher.update(ciphertext);
      decipher.final();
      return plaintext;
    } catch {
      throw tampered();
    }
  }
}

async function readExactly(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** Reads and checks only the header (no key needed): what a backup is before deciding what to do with it. */
export async function readArchiveHeader(file: string): Promise<{ header: ArchiveHeader; hash: Buffer }> {
  const handle = await openArchiveFile(file);
  try {
    const preamble = await readExactly(handle, 0, PREAMBLE.length);
    checkPreamble(preamble);
    if (preamble.length === 0) throw new AppError("BACKUP_MALFORMED", "The file is empty.");
    if (preamble.length < PREAMBLE.length) throw truncated();
    const field = await readExactly(handle, PREAMBLE.length, LENGTH_FIELD_BYTES);
    if (field.length < LENGTH_FIELD_BYTES) throw truncated();
    const n = headerLength(field);
    const rest = await readExactly(handle, PREAMBLE.length + LENGTH_FIELD_BYTES, n + HEADER_DIGEST_BYTES);
    if (rest.length < n + HEADER_DIGEST_BYTES) throw truncated();
    return checkHeader(field, rest.subarray(0, n), rest.subarray(n));
  } finally {
    await handle.close();
  }
}

/** Opens an archive for reading; a missing or unreadable file is reported without a stack or errno soup. */
export async function openArchiveFile(file: string): Promise<fs.FileHandle> {
  try {
    const handle = await fs.open(file, "r");
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      throw new AppError("BACKUP_MALFORMED", `${file} is not a file.`);
    }
    return handle;
  } catch (err) {
    if (err instanceof AppError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "unknown";
    throw new AppError("BACKUP_MALFORMED", `Cannot read ${file} (${code}).`, { cause: err });
  }
}
