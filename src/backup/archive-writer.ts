import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import {
  type ArchiveHeader,
  encodeHeader,
  frameAad,
  frameHead,
  IV_BYTES,
  TAG_BYTES,
} from "./archive-format.js";

/**
 * Plaintext in, archive bytes out. Buffers at most one chunk: a full chunk is sealed as non-final only
 * once more data arrives, so the last one (full or not) can be sealed as final when the input ends.
 * Also hashes and counts the archive bytes it emits, for the catalog.
 */
export class ArchiveEncryptor extends Transform {
  readonly #key: Buffer;
  readonly #chunkSize: number;
  readonly #headerBytes: Buffer;
  readonly #headerHash: Buffer;
  readonly #fileHash = createHash("sha256");
  readonly #chunk: Buffer;
  #filled = 0;
  #index = 0;
  #started = false;
  #bytes = 0;

  constructor(header: ArchiveHeader, key: Buffer) {
    // Frames are ~chunkSize; a high-water mark of a few frames keeps memory bounded and the disk busy.
    super({ readableHighWaterMark: header.chunkSize * 2 });
    const encoded = encodeHeader(header);
    this.#headerBytes = encoded.bytes;
    this.#headerHash = encoded.hash;
    this.#key = Buffer.from(key);
    this.#chunkSize = header.chunkSize;
    this.#chunk = Buffer.allocUnsafe(this.#chunkSize);
  }

  /** Bytes and SHA-256 (hex) of the archive; complete once the stream has finished. */
  get summary(): { bytes: number; sha256: string; frames: number } {
    return { bytes: this.#bytes, sha256: this.#fileHash.copy().digest("hex"), frames: this.#index };
  }

  #emit(piece: Buffer): void {
    this.#fileHash.update(piece);
    this.#bytes += piece.length;
    this.push(piece);
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#emit(this.#headerBytes);
  }

  #seal(plaintext: Buffer, final: boolean): void {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(frameAad(this.#headerHash, this.#index, final));
    const ciphertext = cipher.update(plaintext);
    cipher.final(); // GCM emits nothing here; it only computes the tag
    this.#emit(Buffer.concat([frameHead(final, plaintext.length), iv]));
    this.#emit(ciphertext);
    this.#emit(cipher.getAuthTag());
    this.#index += 1;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#start();
      let offset = 0;
      while (offset < data.length) {
        if (this.#filled === this.#chunkSize) {
          // More data follows a full chunk: it was not the last one. The cipher copied it; reuse the buffer.
          this.#seal(this.#chunk, false);
          this.#filled = 0;
        }
        const copied = data.copy(this.#chunk, this.#filled, offset);
        this.#filled += copied;
        offset += copied;
      }
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.#start();
      this.#seal(this.#chunk.subarray(0, this.#filled), true);
      this.#chunk.fill(0);
      this.#key.fill(0);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#key.fill(0);
    callback(err);
  }
}
