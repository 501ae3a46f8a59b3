import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { actorLabel } from "../access/authorize.js";
import type { AuditSink } from "../audit/audit-sink.js";
import { requireActor } from "../identity/authentication.js";
import type { JobRunner } from "../jobs/jobs-types.js";
import { AppError } from "../platform/errors.js";
import { accountParams } from "./route-schemas.js";
import { SYNC_JOB, syncSingletonKey } from "./sync-job.js";

export interface SyncRoutesDeps {
  jobs: Pick<JobRunner, "enqueue" | "status" | "pausedAccounts"> | null;
  audit: AuditSink;
}

const time = z.string().max(40).nullable();
const statusView = z.object({
  everyMs: z.number().int().nullable(),
  nextRunAt: time,
  lastRunAt: time,
  lastSuccessAt: time,
  lastErrorCode: z.string().max(64).nullable(),
  lastErrorAt: time,
  pausedAt: time,
  pausedCode: z.string().max(64).nullable(),
  /** A sync of this account is queued or running now. */
  running: z.boolean(),
});

/** Triggering a sync and watching it: the job runner's view of the account's sync schedule. */
export function syncRoutes(deps: SyncRoutesDeps): FastifyPluginAsyncZod {
  const jobs = () => {
    if (!deps.jobs) throw new AppError("NOT_READY", "No SP-API application is configured, so nothing syncs.");
    return deps.jobs;
  };
  return async (app) => {
    app.post(
      "/api/accounts/:accountId/sync",
      {
        config: { permission: "sync:run" },
        schema: {
          summary: "Queues a sync of the account now (at most one queued or running per account)",
          tags: ["sync"],
          params: accountParams,
          body: z
            .object({ full: z.boolean().default(false) })
            .strict()
            .default({ full: false }),
          response: { 202: z.object({ queued: z.boolean(), jobId: z.string().max(64).nullable() }) },
        },
      },
      async (request, reply) => {
        const { accountId } = request.params;
        const runner = jobs();
        const paused = (await runner.pausedAccounts()).find((p) => p.accountId === accountId);
        if (paused) throw new AppError("SPAPI_AUTHORIZATION_REVOKED");
        const jobId = await runner.enqueue(
          SYNC_JOB,
          { accountId, full: request.body.full },
          { singletonKey: syncSingletonKey(accountId), accountId },
        );
        await deps.audit.record({
          action: "sync.requested",
          actor: actorLabel(requireActor(request)),
          outcome: "success",
          target: { account: accountId, full: String(request.body.full), queued: String(jobId !== null) },
        });
        return reply.code(202).send({ queued: jobId !== null, jobId });
      },
    );

    app.get(
      "/api/accounts/:accountId/sync",
      {
        config: { permission: "orders:read" },
        schema: {
          summary:
            "The account's sync schedule: next and last run, last success and error, paused or running",
          tags: ["sync"],
          params: accountParams,
          response: { 200: statusView },
        },
      },
      async (request) => {
        const { accountId } = request.params;
        const schedule = (await jobs().status({ accountId })).find((s) => s.name === SYNC_JOB);
        const paused = (await jobs().pausedAccounts()).find((p) => p.accountId === accountId);
        return {
          everyMs: schedule?.everyMs ?? null,
          nextRunAt: schedule?.nextRunAt ?? null,
          lastRunAt: schedule?.lastRunAt ?? null,
          lastSuccessAt: schedule?.lastSuccessAt ?? null,
          lastErrorCode: schedule?.lastErrorCode ?? null,
          lastErrorAt: schedule?.lastErrorAt ?? null,
          pausedAt: paused?.pausedAt ?? schedule?.pausedAt ?? null,
          pausedCode: paused?.code ?? schedule?.pausedCode ?? null,
          running: schedule?.pending ?? false,
        };
      },
    );
  };
}
