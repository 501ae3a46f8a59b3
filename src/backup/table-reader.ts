import { type Kysely, type RawBuilder, sql, type Transaction } from "kysely";
import type { StoreKind } from "../db/database.js";
import type { DB } from "../db/schema.js";
import type { TableSpec } from "../db/tables.js";

export interface TableShape {
  columns: string[];
  /** Columns whose type has a collation (text): ordered bytewise so both stores agree on the order. */
  collatable: Set<string>;
}

/** Column names in declaration order, straight from the store's catalog. */
export async function describeTable(db: Kysely<DB>, kind: StoreKind, table: string): Promise<TableShape> {
  if (kind === "sqlite") {
    const { rows } = await sql<{ name: string; type: string }>`
      SELECT name, type FROM pragma_table_info(${table}) ORDER BY cid`.execute(db);
    return { columns: rows.map((r) => r.name), collatable: new Set() };
  }
  const { rows } = await sql<{ name: string; collatable: boolean }>`
    SELECT a.attname AS name, (t.typcollation <> 0) AS collatable
    FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
    WHERE a.attrelid = to_regclass(${table}) AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum`.execute(db);
  return {
    columns: rows.map((r) => r.name),
    collatable: new Set(rows.filter((r) => r.collatable).map((r) => r.name)),
  };
}

/** Opens the read transaction every table of one backup is read in: one consistent snapshot. */
export function inSnapshot<T>(
  db: Kysely<DB>,
  kind: StoreKind,
  run: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  // SQLite (WAL): a deferred transaction's first read pins the snapshot until commit, writers carry on.
  if (kind === "sqlite") return db.transaction().setAccessMode("read only").execute(run);
  return db.transaction().setIsolationLevel("repeatable read").setAccessMode("read only").execute(run);
}

export async function appliedMigrations(db: Kysely<DB>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`SELECT name FROM schema_migrations ORDER BY name`.execute(db);
  return rows.map((r) => r.name);
}

const TARGET_BATCH_BYTES = 4 * 1024 * 1024;
const MIN_BATCH_ROWS = 16;
const MAX_BATCH_ROWS = 20_000;
const FIRST_BATCH_ROWS = 500;
const CURSOR = "sp_backup_rows";

/**
 * Reads one table in primary-key order, bytewise for text (SQLite BINARY = PostgreSQL "C" on UTF-8), in
 * batches sized to ~4 MiB of encoded rows: never the whole table in memory, one await per batch.
 * SQLite pages by key (index-backed); PostgreSQL uses a cursor, since a "C"-collated key comparison
 * cannot use the table's index and paging would re-sort the table for every page.
 */
export class TableReader {
  #limit = FIRST_BATCH_ROWS;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly kind: StoreKind,
    private readonly spec: Pick<TableSpec, "name" | "primaryKey">,
    private readonly shape: TableShape,
  ) {}

  /** Tells the reader how many bytes the last batch encoded to, so the next one aims at the target size. */
  adapt(rows: number, bytes: number): void {
    if (rows === 0 || bytes === 0) return;
    const next = Math.round((rows * TARGET_BATCH_BYTES) / bytes);
    this.#limit = Math.max(MIN_BATCH_ROWS, Math.min(MAX_BATCH_ROWS, next));
  }

  #orderTerms(): RawBuilder<unknown>[] {
    return this.spec.primaryKey.map((c) => {
      // SQLite: plain columns. Their declared collation is BINARY (tables.test.ts keeps it so), and a
      // COLLATE inside the row-value comparison would stop SQLite seeking the index for composite keys.
      if (this.kind === "sqlite") return sql`${sql.ref(c)}`;
      return this.shape.collatable.has(c) ? sql`${sql.ref(c)} COLLATE "C"` : sql`${sql.ref(c)}`;
    });
  }

  /** Rows as the driver returns them, keyed by column name (encodeRows puts them in `shape.columns` order). */
  async *batches(): AsyncGenerator<Record<string, unknown>[]> {
    const columns = sql.join(this.shape.columns.map((c) => sql.ref(c)));
    const order = sql.join(this.#orderTerms());
    const table = sql.table(this.spec.name);
    if (this.kind === "postgres") {
      await sql`DECLARE ${sql.id(CURSOR)} NO SCROLL CURSOR FOR
        SELECT ${columns} FROM ${table} ORDER BY ${order}`.execute(this.db);
      try {
        for (;;) {
          const limit = this.#limit;
          const { rows } = await sql<Record<string, unknown>>`
            FETCH FORWARD ${sql.lit(limit)} FROM ${sql.id(CURSOR)}`.execute(this.db);
          if (rows.length > 0) yield rows;
          if (rows.length < limit) return;
        }
      } finally {
        // The cursor dies with the transaction anyway; if that already failed, its error is the one to see.
        await sql`CLOSE ${sql.id(CURSOR)}`.execute(this.db).catch(() => undefined);
      }
      return;
    }
    let last: unknown[] | null = null;
    for (;;) {
      const limit = this.#limit;
      const after: unknown[] | null = last;
      const where = after ? sql`WHERE (${order}) > (${sql.join(after)})` : sql``;
      const { rows } = await sql<Record<string, unknown>>`
        SELECT ${columns} FROM ${table} ${where} ORDER BY ${order} LIMIT ${sql.lit(limit)}`.execute(this.db);
      if (rows.length > 0) {
        const tail = rows[rows.length - 1] as Record<string, unknown>;
        last = this.spec.primaryKey.map((c) => tail[c]);
        yield rows;
      }
      if (rows.length < limit) return;
    }
  }
}
