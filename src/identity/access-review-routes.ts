import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Actor } from "../access/authorize.js";
import type { DB } from "../db/schema.js";
import { AppError } from "../platform/errors.js";
import type { Services } from "../services.js";
import { type AccessReviewItem, findItem, findOpenReview } from "./access-review-repo.js";
import { requireActor } from "./authentication.js";
import { findOrganisation, listOrganisationAccountIds } from "./organisations-repo.js";
import { findUser } from "./users-repo.js";

const id = z.string().min(1).max(64);
const stamp = z.string().max(40);
const itemView = z.object({
  id,
  userId: id,
  email: z.string().max(320).optional(),
  name: z.string().max(200).optional(),
  accountId: id,
  role: z.string().max(32),
  decision: z.enum(["confirmed", "revoked"]).nullable(),
});
const reviewView = z.object({
  organisationId: id,
  organisationName: z.string().max(200).optional(),
  dueAt: stamp,
  overdue: z.boolean(),
  lastCompletedAt: stamp.nullable(),
  open: z
    .object({ id, openedAt: stamp, openedBy: z.string().max(200), items: z.array(itemView).max(10_000) })
    .nullable(),
});

/**
 * The quarterly access review of the caller's organisation. Organisation-wide, so the routes declare
 * `authenticated` and the access-review service checks `access_review:perform` on every account of the
 * organisation (audited by the authorizer) — the same check the CLI path gets.
 */
export function accessReviewRoutes(deps: {
  db: Kysely<DB>;
  services: Pick<Services, "accessReviews" | "authorizer">;
}): FastifyPluginAsyncZod {
  const { db } = deps;
  const { accessReviews, authorizer } = deps.services;

  async function organisationOf(actor: Actor): Promise<string> {
    const user = await findUser(db, actor.userId);
    if (!user?.organisationId) throw new AppError("ORGANISATION_NOT_FOUND");
    return user.organisationId;
  }

  async function requireReviewer(actor: Actor, organisationId: string): Promise<void> {
    const accounts = await listOrganisationAccountIds(db, organisationId);
    if (accounts.length === 0) throw new AppError("ORGANISATION_NOT_FOUND");
    for (const accountId of accounts)
      await authorizer.authorize(db, actor, "access_review:perform", accountId);
  }

  async function withPeople(items: AccessReviewItem[]) {
    const out = [];
    for (const item of items) {
      const user = await findUser(db, item.userId);
      out.push({
        id: item.id,
        userId: item.userId,
        ...(user ? { email: user.email, name: user.displayName } : {}),
        accountId: item.accountId,
        role: item.role,
        decision: item.decision,
      });
    }
    return out;
  }

  return async (app) => {
    app.get(
      "/api/access-reviews",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "The organisation's access review: due date, overdue flag and the open review's entries",
          tags: ["access-review"],
          response: { 200: z.object({ reviews: z.array(reviewView) }) },
        },
      },
      async (request) => {
        const actor = requireActor(request);
        const organisationId = await organisationOf(actor);
        await requireReviewer(actor, organisationId);
        const status = await accessReviews.status(organisationId);
        const open = await findOpenReview(db, organisationId);
        const org = await findOrganisation(db, organisationId);
        return {
          reviews: [
            {
              organisationId,
              ...(org ? { organisationName: org.name } : {}),
              dueAt: status.dueAt,
              overdue: status.overdue,
              lastCompletedAt: status.lastCompletedAt,
              open: open
                ? {
                    id: open.id,
                    openedAt: open.openedAt,
                    openedBy: open.openedBy,
                    items: await withPeople(await accessReviews.items(actor, open.id)),
                  }
                : null,
            },
          ],
        };
      },
    );

    app.post(
      "/api/access-reviews",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Opens the organisation's access review: one entry per role held",
          tags: ["access-review"],
          body: z.object({ organisationId: id }),
          response: { 201: z.object({ id }) },
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        // Another organisation's id answers like an unknown one.
        if ((await organisationOf(actor)) !== request.body.organisationId)
          throw new AppError("ORGANISATION_NOT_FOUND");
        const { review } = await accessReviews.open(actor, request.body.organisationId);
        return reply.code(201).send({ id: review.id });
      },
    );

    app.post(
      "/api/access-reviews/:id/items/:itemId",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Confirms or revokes one entry; revoking removes the role and ends the user's credentials",
          tags: ["access-review"],
          params: z.object({ id, itemId: id }),
          body: z.object({ decision: z.enum(["confirm", "revoke"]) }),
          response: { 200: itemView },
        },
      },
      async (request) => {
        const item = await findItem(db, request.params.itemId);
        if (!item || item.reviewId !== request.params.id) throw new AppError("REVIEW_NOT_FOUND");
        const decided = await accessReviews.decide(requireActor(request), item.id, request.body.decision);
        return (await withPeople([decided]))[0];
      },
    );

    app.post(
      "/api/access-reviews/:id/complete",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Completes the review once every entry has a decision",
          tags: ["access-review"],
          params: z.object({ id }),
          response: { 200: z.object({ id, completedAt: stamp.nullable() }) },
        },
      },
      async (request) => {
        const review = await accessReviews.complete(requireActor(request), request.params.id);
        return { id: review.id, completedAt: review.completedAt };
      },
    );
  };
}
