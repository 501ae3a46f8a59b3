import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import { checkJobName, handlerOptions } from "./job-outcome.js";
import * as schedules from "./job-schedules-repo.js";
import type { JobHandler, JobHandlerOptions, JobPayload, JobRunner } from "./jobs-types.js";

export interface RegisteredHandler {
  handler: JobHandler;
  options: Required<JobHandlerOptions>;
}

/**
 * Handlers and schedules, the part both runners share: the schedules live in our own tables either way, and
 * each runner turns due schedules into runs of its own kind.
 */
export function createJobRegistry(deps: { db: Kysely<DB>; clock: Pick<Clock, "now"> }) {
  const { db, clock } = deps;
  const handlers = new Map<string, RegisteredHandler>();
  const api: Pick<JobRunner, "register" | "schedule" | "unschedule"> = {
    register<P extends JobPayload>(name: string, handler: JobHandler<P>, options?: JobHandlerOptions) {
      checkJobName(name);
      if (handlers.has(name)) throw new RangeError(`a handler for ${name} is already registered`);
      handlers.set(name, { handler: handler as JobHandler, options: handlerOptions(options) });
    },
    async schedule(name, options) {
      checkJobName(name);
      if (!(options.everyMs >= 1000)) throw new RangeError("everyMs must be at least 1000");
      await schedules.upsertSchedule(db, {
        name,
        accountId: options.accountId ?? null,
        everyMs: options.everyMs,
        payload: options.payload ?? {},
        firstRunAt: options.firstRunAt ?? clock.now(),
        now: clock.now(),
      });
    },
    async unschedule(name, options = {}) {
      await schedules.deleteSchedule(db, name, options.accountId ?? null);
    },
  };
  return { handlers, api };
}
