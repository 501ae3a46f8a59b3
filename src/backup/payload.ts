import { createHash, type Hash } from "node:crypto";
import { AppError } from "../platform/errors.js";

/**
 * The plaintext inside an archive: JSON lines.
 *
 *   {"table":"<name>","columns":["<col>",...]}      starts a table
 *   [<value>,...]                                   one row, values in `columns` order, rows in key order
 *   {"manifest":{"<name>":{"rows":N,"sha256":"…"}}} last line: every table, its row count and digest
 *
 * A table's digest is the SHA-256 of its table line and its row lines, byte for byte. Values are
 * canonical (see encodeValue), so reading the same rows back from either store gives the same bytes.
 */
export type TableManifest = Readonly<Record<string, { rows: number; sha256: string }>>;

export type RowValue = string | number | null | { $b64: string };

const NEWLINE = 0x0a;
/** A sealed value is at most ~1.4 MB; a row line far beyond that is not ours. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** One value as both stores can hold it: text, numbers, null and bytes; booleans and dates normalized. */
export function encodeValue(value: unknown): RowValue {
  if (value === null || typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new AppError("INTERNAL", "A column holds a non-finite number.");
    return value;
  }
  if (typeof value === "boolean") return value ? 1 : 0; // SQLite has no booleans; both read 1/0 alike
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
      throw new AppError("INTERNAL", "A column holds an integer beyond 2^53.");
    return Number(value);
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return { $b64: Buffer.from(value).toString("base64") };
  throw new AppError("INTERNAL", "A column holds a value type backups do not know.");
}

export function decodeValue(value: unknown): unknown {
  if (value !== null && typeof value === "object") {
    const b64 = (value as { $b64?: unknown }).$b64;
    if (typeof b64 !== "string") throw new AppError("BACKUP_MALFORMED", "A row holds an unknown value.");
    return Buffer.from(b64, "base64");
  }
  return value;
}

export function tableLine(table: string, columns: readonly string[]): string {
  return `${JSON.stringify({ table, columns })}\n`;
}

function isPlain(v: unknown): boolean {
  return typeof v === "string" || v === null || (typeof v === "number" && Number.isFinite(v));
}

/**
 * Row lines for a batch of rows (objects keyed by column), written straight into one buffer: far cheaper
 * than building a string per batch and converting it (string ropes and their flattening dominated the
 * export's profile). The buffer is new for every batch, since the previous one may still be queued.
 */
export function encodeRows(
  rows: readonly Readonly<Record<string, unknown>>[],
  columns: readonly string[],
  sizeHint = 64 * 1024,
): Buffer {
  let buffer = Buffer.allocUnsafe(Math.max(sizeHint, 1024));
  let used = 0;
  const values: unknown[] = new Array(columns.length);
  for (const row of rows) {
    for (let i = 0; i < columns.length; i++) {
      const v = row[columns[i] as string];
      values[i] = isPlain(v) ? v : encodeValue(v);
    }
    const line = JSON.stringify(values);
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes: room for that means write() cannot truncate.
    const worst = line.length * 3 + 1;
    if (used + worst > buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buffer.length * 2, used + worst));
      buffer.copy(bigger, 0, 0, used);
      buffer = bigger;
    }
    used += buffer.write(line, used, "utf8");
    buffer[used++] = NEWLINE;
  }
  return buffer.subarray(0, used);
}

export function manifestLine(manifest: TableManifest): string {
  return `${JSON.stringify({ manifest })}\n`;
}

/** Counts and hashes one table's lines. */
export class TableDigest {
  readonly #hash: Hash = createHash("sha256");
  rows = 0;

  constructor(
    readonly table: string,
    readonly columns: readonly string[],
  ) {
    this.#hash.update(tableLine(table, columns));
  }

  update(lines: Buffer | string, rows: number): void {
    this.#hash.update(lines);
    this.rows += rows;
  }

  result(): { rows: number; sha256: string } {
    return { rows: this.rows, sha256: this.#hash.copy().digest("hex") };
  }
}

export type PayloadEvent =
  | { kind: "table"; table: string; columns: string[] }
  | { kind: "rows"; table: string; rows: unknown[][] }
  | { kind: "end"; manifest: TableManifest; computed: TableManifest };

function malformed(message: string): AppError {
  return new AppError("BACKUP_MALFORMED", message);
}

function parseControl(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === "object" && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw malformed("A backup payload line is not valid.");
}

function parseRow(line: Buffer): unknown {
  try {
    return JSON.parse(line.toString("utf8"));
  } catch {
    throw malformed("A backup row is not valid JSON.");
  }
}

/**
 * Parses decrypted payload bytes into events: tables, batches of rows (one per decrypted chunk, so memory
 * is bounded by the chunk size), and the manifest with the digests recomputed from the lines themselves.
 * Structure errors are BACKUP_MALFORMED; a manifest that disagrees with the lines is BACKUP_CHECKSUM_MISMATCH.
 */
export async function* parsePayload(source: AsyncIterable<Buffer>): AsyncGenerator<PayloadEvent> {
  let carry: Buffer = Buffer.alloc(0);
  let current: TableDigest | null = null;
  const computed: Record<string, { rows: number; sha256: string }> = {};
  let manifest: TableManifest | null = null;

  const close = () => {
    if (current) computed[current.table] = current.result();
    current = null;
  };

  for await (const piece of source) {
    const data: Buffer = carry.length > 0 ? Buffer.concat([carry, piece]) : piece;
    let start = 0;
    let rows: unknown[][] = [];
    for (let end = data.indexOf(NEWLINE, start); end !== -1; end = data.indexOf(NEWLINE, start)) {
      const line = data.subarray(start, end + 1);
      start = end + 1;
      if (manifest) throw malformed("Data follows the backup manifest.");
      if (line[0] === 0x5b /* [ */) {
        if (!current) throw malformed("A row precedes its table.");
        const table: TableDigest = current;
        const row = parseRow(line);
        if (!Array.isArray(row) || row.length !== table.columns.length)
          throw malformed(`A row of ${table.table} does not match its columns.`);
        table.update(line, 1);
        rows.push(row);
        continue;
      }
      if (current && rows.length > 0) yield { kind: "rows", table: current.table, rows };
      rows = [];
      const control = parseControl(line.toString("utf8"));
      if (typeof control.table === "string" && Array.isArray(control.columns)) {
        close();
        if (control.table in computed) throw malformed(`Table ${control.table} appears twice.`);
        const columns = control.columns.filter((c): c is string => typeof c === "string");
        if (columns.length !== control.columns.length || columns.length === 0)
          throw malformed(`Table ${control.table} has invalid columns.`);
        current = new TableDigest(control.table, columns);
        yield { kind: "table", table: control.table, columns };
      } else if (control.manifest !== null && typeof control.manifest === "object") {
        close();
        manifest = control.manifest as TableManifest;
      } else {
        throw malformed("A backup payload line is not valid.");
      }
    }
    if (current && rows.length > 0) yield { kind: "rows", table: (current as TableDigest).table, rows };
    carry = Buffer.from(data.subarray(start));
    if (carry.length > MAX_LINE_BYTES) throw malformed("A backup payload line is too long.");
  }
  if (carry.length > 0 || !manifest) throw malformed("The backup payload has no manifest.");
  const listed = Object.keys(manifest).sort();
  const seen = Object.keys(computed).sort();
  if (listed.join("\n") !== seen.join("\n"))
    throw new AppError("BACKUP_CHECKSUM_MISMATCH", "The manifest does not list the tables the backup holds.");
  for (const name of seen) {
    const want = manifest[name];
    const got = computed[name];
    if (!want || !got || want.rows !== got.rows || want.sha256 !== got.sha256)
      throw new AppError("BACKUP_CHECKSUM_MISMATCH", `Table ${name} does not match the backup manifest.`);
  }
  yield { kind: "end", manifest, computed };
}
