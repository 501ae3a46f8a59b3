import type { DatabaseConfig } from "../config/config-types.js";
import type { Database } from "../db/database.js";
import type { Clock } from "../platform/clock.js";
import type { Logger } from "../platform/logger.js";
import { createInProcessRunner } from "./in-process-runner.js";
import type { JobRunner } from "./jobs-types.js";
import { createPgBossRunner } from "./pg-boss-runner.js";

export interface JobRunnerDeps {
  database: Pick<Database, "db" | "kind">;
  /** Where the store lives; PostgreSQL's URL is also pg-boss's. */
  store: DatabaseConfig;
  clock: Clock;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  /** "in-process" keeps the queue in job_runs even on PostgreSQL (a single process); default "auto". */
  mode?: "auto" | "in-process";
}

/**
 * SQLite serves one process: the in-process runner. PostgreSQL may serve many worker processes: pg-boss
 * shares the queue between them, unless the in-process runner is asked for.
 */
export function createJobRunner(deps: JobRunnerDeps): JobRunner {
  const { database, clock, logger } = deps;
  if (deps.store.kind === "postgres" && (deps.mode ?? "auto") === "auto") {
    return createPgBossRunner({ database, connectionString: deps.store.url, clock, logger });
  }
  return createInProcessRunner({ database, clock, logger });
}
