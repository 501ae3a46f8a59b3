import { CompiledQuery, type Kysely, sql } from "kysely";
import type PgBoss from "pg-boss";
import type { DB } from "../db/schema.js";
import type { JobHandlerOptions } from "./jobs-types.js";

/** Small adapters between our job runner's terms and pg-boss's. */

/**
 * What pg-boss stores as a failed try's output: the catalog code only. pg-boss serializes the thrown value
 * (message and stack included), so the handler's own error, which may carry a secret, never reaches it.
 */
export function sanitizedFailure(code: string): Error {
  const failure = new Error(code);
  failure.name = "JobFailed";
  failure.stack = `JobFailed: ${code}`;
  return failure;
}

/** pg-boss's queue settings from our handler options (seconds; its backoff doubles the delay with jitter). */
export function queueOptions(options: Required<JobHandlerOptions>) {
  return {
    retryLimit: options.maxAttempts - 1,
    retryDelay: Math.round(options.backoffMs / 1000),
    retryBackoff: options.backoffMs > 0,
    // pg-boss refuses 24 h or more.
    expireInSeconds: Math.min(Math.ceil(options.timeoutMs / 1000), 86_399),
  };
}

/** pg-boss's `db` option on one of our transactions, so its insert commits with our singleton check. */
export function txDb(trx: Kysely<DB>): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[]) {
      const result = await trx.executeQuery(CompiledQuery.raw(text, values));
      return { rows: Array.from(result.rows) };
    },
  };
}

/**
 * Before a try interrupted by a stop is thrown back to pg-boss (which queues it again and counts it), its job is
 * allowed one more try, so shutdowns never use up its retries. If the store is already going away the try simply
 * counts, as a failed one does.
 */
export async function allowOneMoreTry(db: Kysely<DB>, schema: string, jobId: string): Promise<void> {
  await sql`UPDATE ${sql.table(`${schema}.job`)} SET retry_limit = retry_limit + 1
    WHERE id = ${jobId} AND state = 'active'`
    .execute(db)
    .catch(() => undefined);
}
