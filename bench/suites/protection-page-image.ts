// Diagnostic ceilings for backupVsCopy: what a page-image backup of the SQLite store (no rows, no JSON) could
// reach at best. Not a product path: it measures the design space behind the figure the issue asks for.
import { createCipheriv, createHash, type Hash, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readSync, rmSync, statSync, writeSync } from "node:fs";
import SqliteDatabase from "better-sqlite3-multiple-ciphers";
import { randomIv } from "../../src/crypto/aes-gcm.js";

const CHUNK = 1 << 20;

/** The store's own SQLCipher settings, read-only, with the derived database key. */
function openKeyed(file: string, key: Buffer): SqliteDatabase.Database {
  const handle = new SqliteDatabase(file, { readonly: true });
  handle.pragma("cipher = 'sqlcipher'");
  handle.pragma("legacy = 4");
  handle.pragma(`key = "x'${key.toString("hex")}'"`);
  return handle;
}

/**
 * A consistent page image without the online-backup API (better-sqlite3 cannot open its target with a key,
 * so that API would write plaintext pages): the caller checkpoints (TRUNCATE) first; a read transaction that
 * finds the WAL still empty then keeps every later checkpoint out of the main file, which is streamed,
 * already SQLCipher-encrypted, through AES-256-GCM in 1 MiB authenticated chunks under a fresh key and
 * fsynced like backup create's archive.
 * With `tableHashes`, dbstat (C, inside the same transaction) maps each page to its table or index and the
 * page bytes are hashed per table: the cheapest per-table SHA-256 this store offers without a row scan.
 */
export function pageImageRound(file: string, key: Buffer, out: string, tableHashes: boolean): number {
  const handle = openKeyed(file, key);
  const fd = openSync(file, "r");
  const outFd = openSync(out, "w", 0o600);
  let bytes = 0;
  try {
    handle.prepare("BEGIN").run();
    handle.prepare("SELECT count(*) FROM sqlite_schema").get();
    // A frame committed before our snapshot would be checkpointed into the file while we copy it.
    if ((statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0)
      throw new Error("the WAL is not empty: checkpoint (TRUNCATE) before taking a page image");
    let owner: string[] = [];
    const hashes = new Map<string, Hash>();
    let pageSize = 4096;
    if (tableHashes) {
      pageSize = Number(handle.pragma("page_size", { simple: true }));
      const pages = handle.prepare("SELECT name, pageno FROM dbstat").raw().all() as Array<[string, number]>;
      owner = [];
      for (const [name, pageno] of pages) owner[pageno] = name;
    }
    const dataKey = randomBytes(32);
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (let index = 0; ; index++) {
      const n = readSync(fd, buffer, 0, CHUNK, bytes);
      if (n === 0) break;
      const chunk = buffer.subarray(0, n);
      if (tableHashes) {
        const first = bytes / pageSize + 1;
        for (let p = 0; p * pageSize < n; p++) {
          const name = owner[first + p] ?? "(free)";
          let h = hashes.get(name);
          if (!h) {
            h = createHash("sha256");
            hashes.set(name, h);
          }
          h.update(chunk.subarray(p * pageSize, (p + 1) * pageSize));
        }
      }
      const cipher = createCipheriv("aes-256-gcm", dataKey, randomIv());
      const header = Buffer.alloc(4);
      header.writeUInt32BE(index);
      cipher.setAAD(header);
      writeSync(outFd, cipher.update(chunk));
      cipher.final();
      writeSync(outFd, cipher.getAuthTag());
      bytes += n;
    }
    for (const h of hashes.values()) h.digest();
    fsyncSync(outFd);
    handle.prepare("COMMIT").run();
    return bytes;
  } finally {
    closeSync(outFd);
    closeSync(fd);
    handle.close();
    rmSync(out, { force: true });
  }
}
