import type { SqliteDatabase, SqliteStatement } from "kysely";

/** Distinct SQL texts kept prepared; the app issues a few dozen shapes, so this is rarely reached. */
export const STATEMENT_CACHE_SIZE = 256;
/**
 * A prepared statement's memory grows with its text, many times over (a multi-row upsert's program runs to
 * megabytes), and batch writes come in as many shapes as there are batch sizes. Counted by entries alone,
 * the cache held ~50 MB of them during a 200,000-order backfill (peak RSS 302 MB against 250 MB without).
 * A statement longer than this is such a batch, whose preparation is small next to running it: not kept.
 */
export const MAX_CACHED_STATEMENT_CHARS = 4_096;
/** Total SQL text kept prepared, so many mid-sized shapes cannot add up either. */
export const STATEMENT_CACHE_CHARS = 256_000;

export interface StatementCacheLimits {
  entries: number;
  chars: number;
  maxStatementChars: number;
}

const DEFAULT_LIMITS: StatementCacheLimits = {
  entries: STATEMENT_CACHE_SIZE,
  chars: STATEMENT_CACHE_CHARS,
  maxStatementChars: MAX_CACHED_STATEMENT_CHARS,
};

interface PreparingHandle {
  prepare(sql: string): SqliteStatement & { readonly busy?: boolean };
  close(): void;
}

/**
 * Kysely's SQLite driver prepares every query anew; on SQLCipher that is ~35 µs a statement, about as much
 * as running the query itself. This keeps the prepared statements by SQL text (least recently used out)
 * so a hot path pays preparation once, within a bound on entries and on total SQL text. A statement still
 * being iterated (a streamed query) is busy and cannot be re-entered, so a busy one gets a fresh, uncached
 * statement. Schema changes are safe: SQLite re-prepares a stale statement by itself.
 */
export function cachingStatements(
  handle: PreparingHandle,
  limits: Partial<StatementCacheLimits> = {},
): SqliteDatabase {
  const { entries, chars, maxStatementChars } = { ...DEFAULT_LIMITS, ...limits };
  const cache = new Map<string, SqliteStatement & { readonly busy?: boolean }>();
  let cachedChars = 0;
  return {
    prepare(sql: string): SqliteStatement {
      const hit = cache.get(sql);
      if (hit) {
        if (hit.busy === true) return handle.prepare(sql);
        // Re-insert: Map keeps insertion order, so the first key is the least recently used.
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const statement = handle.prepare(sql);
      if (sql.length > maxStatementChars) return statement;
      cache.set(sql, statement);
      cachedChars += sql.length;
      while (cache.size > entries || cachedChars > chars) {
        const oldest = cache.keys().next().value;
        if (oldest === undefined) break;
        cache.delete(oldest);
        cachedChars -= oldest.length;
      }
      return statement;
    },
    close() {
      cache.clear();
      cachedChars = 0;
      handle.close();
    },
  };
}
