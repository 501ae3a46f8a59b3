import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Config } from "../config/config.js";
import type { DB } from "../db/schema.js";
import { requireGrant } from "../identity/authentication.js";
import type { Clock } from "../platform/clock.js";
import { checkGraceDays } from "./account-schedule.js";
import { DATA_TYPES, MAX_ACCOUNT_GRACE_DAYS, RETENTION_POLICY_VERSION } from "./retention-policy.js";
import { listLegalHolds, openDeletionRequest } from "./retention-repo.js";
import { holdView } from "./retention-routes.js";
import {
  accountDataTypeCounts,
  scheduledAccountDeletion,
  upcomingPiiPurges,
} from "./retention-status-repo.js";

export interface RetentionStatusRoutesDeps {
  db: Kysely<DB>;
  clock: Clock;
  config: Pick<Config, "retention">;
}

/** Today and the 30 days after it. */
export const PURGE_SERIES_DAYS = 31;

const id = z.string().min(1).max(64);
const time = z.string().max(40);
const count = z.number().int().nonnegative().nullable();

const statusView = z.object({
  asOf: time,
  policyVersion: z.string().max(40),
  dataTypes: z
    .array(z.object({ type: z.enum(DATA_TYPES), records: count, overdue: count, held: count }))
    .max(DATA_TYPES.length),
  legalHolds: z
    .array(
      // The hold as the legal-holds route shows it, minus what this account-scoped view already implies.
      holdView.omit({ accountId: true, releasedBy: true }),
    )
    .max(500),
  deletionRequest: z
    .object({
      id,
      status: z.enum(["scheduled", "completed", "cancelled"]),
      requestedBy: z.string().max(200),
      requestedAt: time,
      deadline: time,
    })
    .nullable(),
  scheduledDeletion: z
    .object({
      reason: z.enum(["revocation", "closure"]),
      since: time,
      executeAfter: time,
      deadline: time,
      graceDays: z.number().int().min(0).max(MAX_ACCOUNT_GRACE_DAYS),
      recorded: z.boolean(),
    })
    .nullable(),
  upcomingPurges: z
    .array(z.object({ day: z.string().max(10), count: z.number().int().nonnegative() }))
    .max(PURGE_SERIES_DAYS),
});

/**
 * One seller account's side of the retention policy: its records per data type (counted by the same
 * functions as `retention status`), its legal holds, an owner's open deletion request, the deletion a
 * revoked authorization or closure brings, and the buyer-data purges of the coming 30 days.
 */
export function retentionStatusRoutes(deps: RetentionStatusRoutesDeps): FastifyPluginAsyncZod {
  const { db, clock } = deps;
  const graceDays = checkGraceDays(deps.config.retention?.accountGraceDays ?? MAX_ACCOUNT_GRACE_DAYS);
  return async (app) => {
    app.get(
      "/api/accounts/:accountId/retention",
      {
        config: { permission: "account:manage" },
        schema: {
          summary:
            "Retention status of the seller account: records per data type, legal holds, deletions, upcoming purges",
          tags: ["retention"],
          params: z.object({ accountId: id }),
          response: { 200: statusView },
        },
      },
      async (request) => {
        const { accountId } = requireGrant(request);
        const now = clock.now();
        const open = await openDeletionRequest(db, accountId);
        const scheduled = await scheduledAccountDeletion(db, accountId, graceDays, open);
        const after = [open?.executeAfter, scheduled?.executeAfter].filter((t) => t !== undefined).sort();
        return {
          asOf: now.toISOString(),
          policyVersion: RETENTION_POLICY_VERSION,
          dataTypes: await accountDataTypeCounts(db, accountId, now, after[0] ?? null),
          legalHolds: await listLegalHolds(db, accountId, now),
          deletionRequest: open?.kind === "request" ? open : null,
          scheduledDeletion: scheduled,
          upcomingPurges: await upcomingPiiPurges(db, accountId, now, PURGE_SERIES_DAYS),
        };
      },
    );
  };
}
