import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import { type AccessGrant, actorLabel } from "../access/authorize.js";
import type { AuditSink } from "../audit/audit-sink.js";
import type { Config } from "../config/config.js";
import type { DB } from "../db/schema.js";
import { requireGrant } from "../identity/authentication.js";
import { findUser } from "../identity/users-repo.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { createIncidentService } from "./incident-service.js";
import { INCIDENT_STATES, type Incident, RULE_IDS, SEVERITIES } from "./incident-types.js";

const id = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);
const accountParams = z.object({ accountId: id });
const incidentParams = z.object({ accountId: id, incidentId: id });
const at = z.string().max(40);

const incidentView = z.object({
  id: z.string().max(64),
  rule: z.enum(RULE_IDS),
  severity: z.enum(SEVERITIES),
  state: z.enum(INCIDENT_STATES),
  title: z.string().max(200),
  summary: z.string().max(1000),
  accountId: z.string().max(64).nullable(),
  pointOfContact: z.string().max(200),
  detectedAt: at,
  deadlineAt: at,
  notifiedAt: at.nullable(),
  escalatedAt: at.nullable(),
  closedAt: at.nullable(),
  updatedAt: at,
  occurrences: z.number().int(),
});

const eventView = z.object({
  seq: z.number().int(),
  at,
  kind: z.string().max(32),
  actor: z.string().max(200),
  detail: z.string().max(1000),
});

const noteView = z.object({
  seq: z.number().int(),
  at,
  actor: z.string().max(200),
  content: z.string().max(10_000),
  prevHash: z.string().max(64),
  hash: z.string().max(64),
});

const detailView = z.object({
  incident: incidentView,
  timeline: z.array(eventView).max(10_000),
  evidence: z.array(noteView).max(10_000),
  evidenceCheck: z.object({
    valid: z.boolean(),
    notes: z.number().int().optional(),
    headHash: z.string().max(64).optional(),
    seq: z.number().int().optional(),
    problem: z.string().max(32).optional(),
  }),
});

const draftView = z.object({
  to: z.string().max(200),
  subject: z.string().max(300),
  body: z.string().max(5000),
});

/** Instance-wide incidents (no account) are for instance admins' own sessions, like the whole audit log. */
async function seesInstanceWide(db: Kysely<DB>, grant: AccessGrant): Promise<boolean> {
  if (grant.actor.kind !== "user") return false;
  const user = await findUser(db, grant.userId);
  return user?.status === "active" && user.isInstanceAdmin === true;
}

/**
 * Incidents under the seller account they concern: `incidents:read` lists and shows them with their
 * timeline, evidence and notice drafts; `incidents:manage` moves them forward, adds evidence and records
 * the notice. An incident of another account (or an instance-wide one, for a non-admin) is not found.
 */
export function incidentRoutes(deps: {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
  config: Pick<Config, "incidents" | "publicUrl">;
}): FastifyPluginAsyncZod {
  const { db } = deps;
  // No alert channels here: people acting on an incident are already looking at it.
  const incidents = createIncidentService({
    db,
    clock: deps.clock,
    audit: deps.audit,
    pointOfContact: deps.config.incidents.contact,
  });
  const instanceName = deps.config.publicUrl ? `Seller Pilot at ${deps.config.publicUrl}` : "Seller Pilot";

  async function visible(request: FastifyRequest, incidentId: string): Promise<Incident> {
    const grant = requireGrant(request);
    const incident = await incidents.get(incidentId).catch(() => null);
    if (incident && incident.accountId === grant.accountId) return incident;
    if (incident && incident.accountId === null && (await seesInstanceWide(db, grant))) return incident;
    throw new AppError("INCIDENT_NOT_FOUND");
  }

  return async (app) => {
    app.get(
      "/api/accounts/:accountId/incidents",
      {
        config: { permission: "incidents:read" },
        schema: {
          summary: "Incidents concerning this seller account (and instance-wide ones for instance admins)",
          tags: ["incidents"],
          params: accountParams,
          response: { 200: z.object({ incidents: z.array(incidentView).max(200) }) },
        },
      },
      async (request) => {
        const grant = requireGrant(request);
        const list = await incidents.list({
          accountIds: [grant.accountId],
          includeInstanceWide: await seesInstanceWide(db, grant),
        });
        return { incidents: list };
      },
    );

    app.get(
      "/api/accounts/:accountId/incidents/:incidentId",
      {
        config: { permission: "incidents:read" },
        schema: {
          summary: "One incident with its timeline and evidence notes (hash chain checked)",
          tags: ["incidents"],
          params: incidentParams,
          response: { 200: detailView },
        },
      },
      async (request) => {
        const incident = await visible(request, request.params.incidentId);
        return incidents.show(incident.id);
      },
    );

    app.get(
      "/api/accounts/:accountId/incidents/:incidentId/notice",
      {
        config: { permission: "incidents:read" },
        schema: {
          summary: "Drafted notices to Amazon (security@amazon.com) and to the affected sellers",
          tags: ["incidents"],
          params: incidentParams,
          response: { 200: z.object({ amazon: draftView, sellers: draftView }) },
        },
      },
      async (request) => {
        const incident = await visible(request, request.params.incidentId);
        return incidents.notices(incident.id, instanceName);
      },
    );

    app.post(
      "/api/accounts/:accountId/incidents/:incidentId/transition",
      {
        config: { permission: "incidents:manage" },
        schema: {
          summary: "Move the incident forward in its lifecycle (never back)",
          tags: ["incidents"],
          params: incidentParams,
          body: z.object({ state: z.enum(INCIDENT_STATES), note: z.string().max(500).optional() }),
          response: { 200: z.object({ incident: incidentView }) },
        },
      },
      async (request) => {
        const incident = await visible(request, request.params.incidentId);
        const actor = actorLabel(requireGrant(request).actor);
        return {
          incident: await incidents.transition(incident.id, request.body.state, actor, request.body.note),
        };
      },
    );

    app.post(
      "/api/accounts/:accountId/incidents/:incidentId/evidence",
      {
        config: { permission: "incidents:manage" },
        schema: {
          summary: "Add an evidence note (hashed into the incident's chain of custody)",
          tags: ["incidents"],
          params: incidentParams,
          body: z.object({ content: z.string().min(1).max(10_000) }),
          response: { 200: z.object({ note: noteView }) },
        },
      },
      async (request) => {
        const incident = await visible(request, request.params.incidentId);
        const actor = actorLabel(requireGrant(request).actor);
        return { note: await incidents.addEvidence(incident.id, actor, request.body.content) };
      },
    );

    app.post(
      "/api/accounts/:accountId/incidents/:incidentId/notified",
      {
        config: { permission: "incidents:manage" },
        schema: {
          summary: "Record that the notice to Amazon was sent (stops the deadline escalation)",
          tags: ["incidents"],
          params: incidentParams,
          response: { 200: z.object({ incident: incidentView }) },
        },
      },
      async (request) => {
        const incident = await visible(request, request.params.incidentId);
        const actor = actorLabel(requireGrant(request).actor);
        return { incident: await incidents.markNotified(incident.id, actor) };
      },
    );
  };
}
