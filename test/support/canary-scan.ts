import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";

/** One way a canary could be written down: the bytes to look for and a name for the report. */
export interface CanaryForm {
  canary: string;
  form: string;
  needle: Buffer;
}

export interface CanaryHit {
  /** A file path, `table schema.name`, or `log line N`. */
  where: string;
  canary: string;
  form: string;
}

/** A value that cannot occur by accident: lowercase letters and digits, so no normalisation changes it. */
export function newCanary(label: string): string {
  return `${label}canary${randomBytes(10).toString("hex")}`;
}

/**
 * The canary in every encoding a leak is likely to take. Base64 depends on where in a larger value the
 * canary starts, so each of the three alignments contributes the characters that only the canary decides.
 */
export function canaryForms(canary: string): CanaryForm[] {
  const raw = Buffer.from(canary, "utf8");
  const forms: CanaryForm[] = [
    { canary, form: "plain", needle: raw },
    { canary, form: "hex", needle: Buffer.from(raw.toString("hex")) },
    { canary, form: "HEX", needle: Buffer.from(raw.toString("hex").toUpperCase()) },
    { canary, form: "utf-16le", needle: Buffer.from(canary, "utf16le") },
  ];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), raw]).toString("base64");
    const core = encoded.slice(Math.ceil(shift / 3) * 4, Math.floor((shift + raw.length) / 3) * 4);
    forms.push({ canary, form: `base64@${shift}`, needle: Buffer.from(core) });
    forms.push({
      canary,
      form: `base64url@${shift}`,
      needle: Buffer.from(core.replace(/\+/g, "-").replace(/\//g, "_")),
    });
  }
  return forms;
}

export function findIn(where: string, bytes: Buffer, forms: readonly CanaryForm[]): CanaryHit[] {
  return forms
    .filter((f) => bytes.includes(f.needle))
    .map((f) => ({ where, canary: f.canary, form: f.form }));
}

/** Every regular file under `dir`, recursively (symlinks are not followed). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** Reads every file under `dir` raw (synchronously, so it can run inside a progress callback). */
export function scanTree(dir: string, forms: readonly CanaryForm[]): { files: string[]; hits: CanaryHit[] } {
  const files = filesUnder(dir);
  const hits: CanaryHit[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      continue; // removed between listing and reading (SQLite's -journal / -shm come and go)
    }
    hits.push(...findIn(file, bytes, forms));
  }
  return { files, hits };
}

/**
 * Every row of every table outside the system schemas of one PostgreSQL database, as the server's own
 * text form of the row (bytea shows as hex, which canaryForms covers): what a dump would contain.
 */
export async function scanPostgres(
  url: string,
  forms: readonly CanaryForm[],
): Promise<{ tables: string[]; rows: number; hits: CanaryHit[] }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1, 2`,
    );
    const hits: CanaryHit[] = [];
    let count = 0;
    for (const t of tables) {
      const ident = `${client.escapeIdentifier(t.schema)}.${client.escapeIdentifier(t.name)}`;
      const { rows } = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${ident} t`);
      count += rows.length;
      hits.push(
        ...findIn(`table ${t.schema}.${t.name}`, Buffer.from(rows.map((r) => r.row).join("\n")), forms),
      );
    }
    return { tables: tables.map((t) => `${t.schema}.${t.name}`), rows: count, hits };
  } finally {
    await client.end();
  }
}

export function scanLines(
  label: string,
  lines: readonly string[],
  forms: readonly CanaryForm[],
): CanaryHit[] {
  return lines.flatMap((line, i) => findIn(`${label} ${i}`, Buffer.from(line, "utf8"), forms));
}

/** Everything written to process.stdout / process.stderr until stop(), passed through as usual. */
export function teeProcessOutput(): { chunks: string[]; stop(): void } {
  const chunks: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write };
  const tee = (original: typeof process.stdout.write, stream: NodeJS.WriteStream) =>
    ((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
      return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof process.stdout.write;
  process.stdout.write = tee(originals.out, process.stdout);
  process.stderr.write = tee(originals.err, process.stderr);
  return {
    chunks,
    stop() {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
    },
  };
}
