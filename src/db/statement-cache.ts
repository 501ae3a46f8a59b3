import type { SqliteDatabase, SqliteStatement } from "kysely";

/** Distinct SQL texts kept prepared; the app issues a few dozen shapes, so this is rarely reached. */
export const STATEMENT_CACHE_SIZE = 256;

interface PreparingHandle {
  prepare(sql: string): SqliteStatement & { readonly busy?: boolean };
  close(): void;
}

/**
 * Kysely's SQLite driver prepares every query anew; on SQLCipher that is ~35 µs a statement, about as much
 * as running the query itself. This keeps the prepared statements by SQL text (least recently used out)
 * so a hot path pays preparation once. A statement still being iterated (a streamed query) is busy and
 * cannot be re-entered, so a busy one gets a fresh, uncached statement. Schema changes are safe: SQLite
 * re-prepares a stale statement by itself.
 */
export function cachingStatements(handle: PreparingHandle, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, SqliteStatement & { readonly busy?: boolean }>();
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
      cache.set(sql, statement);
      if (cache.size > size) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return statement;
    },
    close() {
      cache.clear();
      handle.close();
    },
  };
}
