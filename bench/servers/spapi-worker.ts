/**
 * Child process for the SP-API rate-limit benchmark: one worker process with its own client and its own
 * PostgreSQL pool, sharing the token buckets with its sibling through the database. Driven over IPC.
 */
import { openPostgres } from "../../src/db/database.js";
import { benchClient, type LoadResult, type LoadTarget, runCallers } from "../lib/spapi-load.js";

export type ToWorker = { type: "run"; target: LoadTarget; databaseUrl: string };
export type FromWorker = { type: "done"; result: LoadResult } | { type: "failed"; message: string };

process.once("message", async (message: ToWorker) => {
  const reply = (m: FromWorker) => process.send?.(m);
  try {
    const database = await openPostgres(message.databaseUrl, 4);
    const api = benchClient(message.target, database);
    try {
      reply({ type: "done", result: await runCallers(api, message.target) });
    } finally {
      api.close();
      await database.close();
    }
  } catch (err) {
    reply({ type: "failed", message: err instanceof Error ? err.message : String(err) });
  }
  process.disconnect?.();
});
