import type { Kysely } from "kysely";
import type { Authorizer } from "../access/authorize.js";
import { canGrant, type Role } from "../access/roles.js";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DB } from "../db/schema.js";
import { type Clock, MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import {
  type AccessReview,
  type AccessReviewItem,
  decideItem,
  findItem,
  findOpenReview,
  findReview,
  insertReview,
  lastCompletedAt,
  listItems,
  markReviewCompleted,
} from "./access-review-repo.js";
import { type IdentityService, transactAuditingRefusals } from "./identity-service.js";
import { type Principal, principalLabel } from "./invitations.js";
import { findMembership, listMembershipsOfOrganisation } from "./memberships-repo.js";
import { listOrganisationAccountIds, listOrganisations, requireOrganisation } from "./organisations-repo.js";

/** The DPP asks for a review every quarter; 90 days is the shortest quarter rounded down. */
export const REVIEW_INTERVAL_MS = 90 * MS.day;

export interface ReviewStatus {
  organisationId: string;
  lastCompletedAt: string | null;
  /** 90 days after the last completed review, or after the organisation was created. */
  dueAt: string;
  overdue: boolean;
  openReviewId: string | null;
}

export interface AccessReviewsDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
  authorizer: Pick<Authorizer, "authorize">;
  identity: Pick<IdentityService, "revokeMembership">;
}

export async function reviewStatus(db: Kysely<DB>, organisationId: string, now: Date): Promise<ReviewStatus> {
  const org = await requireOrganisation(db, organisationId);
  const last = await lastCompletedAt(db, organisationId);
  const dueAt = new Date(new Date(last ?? org.createdAt).getTime() + REVIEW_INTERVAL_MS).toISOString();
  const open = await findOpenReview(db, organisationId);
  return {
    organisationId,
    lastCompletedAt: last,
    dueAt,
    overdue: now.toISOString() > dueAt,
    openReviewId: open?.id ?? null,
  };
}

/** Organisations whose quarterly review is overdue (for the compliance report and a reminder job). */
export async function listOverdueReviews(db: Kysely<DB>, now: Date): Promise<ReviewStatus[]> {
  const statuses: ReviewStatus[] = [];
  for (const org of await listOrganisations(db)) {
    const status = await reviewStatus(db, org.id, now);
    if (status.overdue) statuses.push(status);
  }
  return statuses;
}

export function createAccessReviews(deps: AccessReviewsDeps) {
  const { db, clock, audit, authorizer, identity } = deps;

  /**
   * A review shows who holds what on every account of the organisation, so the reviewer must hold
   * access_review:perform on each of them; otherwise it would disclose teams they cannot see.
   */
  async function requireReviewer(by: Principal, organisationId: string): Promise<void> {
    await requireOrganisation(db, organisationId);
    if (by.kind === "operator") return;
    const accounts = await listOrganisationAccountIds(db, organisationId);
    if (accounts.length === 0) throw new AppError("ORGANISATION_NOT_FOUND");
    for (const accountId of accounts) await authorizer.authorize(db, by, "access_review:perform", accountId);
  }

  async function requireOpen(reviewId: string): Promise<AccessReview> {
    const review = await findReview(db, reviewId);
    if (!review) throw new AppError("REVIEW_NOT_FOUND");
    if (review.status !== "open") throw new AppError("REVIEW_CLOSED");
    return review;
  }

  return {
    async open(
      by: Principal,
      organisationId: string,
    ): Promise<{ review: AccessReview; items: AccessReviewItem[] }> {
      await requireReviewer(by, organisationId);
      if (await findOpenReview(db, organisationId)) throw new AppError("REVIEW_ALREADY_OPEN");
      const review = await db.transaction().execute(async (trx) =>
        insertReview(
          trx,
          {
            organisationId,
            openedBy: principalLabel(by),
            memberships: await listMembershipsOfOrganisation(trx, organisationId),
          },
          clock.now(),
        ),
      );
      const items = await listItems(db, review.id);
      await audit.record({
        action: "access_review.open",
        actor: principalLabel(by),
        outcome: "success",
        target: { review: review.id, organisation: organisationId, items: String(items.length) },
      });
      return { review, items };
    },

    async items(by: Principal, reviewId: string): Promise<AccessReviewItem[]> {
      const review = await findReview(db, reviewId);
      if (!review) throw new AppError("REVIEW_NOT_FOUND");
      await requireReviewer(by, review.organisationId);
      return listItems(db, reviewId);
    },

    /** Confirms or revokes one entry; revoking removes the membership and ends the user's credentials. */
    async decide(by: Principal, itemId: string, decision: "confirm" | "revoke"): Promise<AccessReviewItem> {
      const item = await findItem(db, itemId);
      if (!item) throw new AppError("REVIEW_NOT_FOUND");
      const review = await requireOpen(item.reviewId);
      if (item.decision !== null) throw new AppError("REVIEW_ITEM_DECIDED");
      if (by.kind !== "operator") {
        const grant = await authorizer.authorize(db, by, "access_review:perform", item.accountId);
        if (decision === "revoke" && !canGrant(grant.permissions, item.role as Role)) {
          await audit.record({
            action: "access_review.decide",
            actor: principalLabel(by),
            outcome: "denied",
            target: { review: review.id, item: item.id, account: item.accountId },
            reason: "ROLE_ESCALATION",
          });
          throw new AppError("ROLE_ESCALATION");
        }
      }
      const stored = decision === "confirm" ? "confirmed" : "revoked";
      const now = clock.now();
      await transactAuditingRefusals(db, audit, async (trx) => {
        if (!(await decideItem(trx, item.id, stored, principalLabel(by), now))) {
          throw new AppError("REVIEW_ITEM_DECIDED");
        }
        if (stored === "revoked") {
          const membership = await findMembership(trx, item.userId, item.accountId);
          if (membership) await identity.revokeMembership(trx, by, "access_review.decide", membership);
        }
      });
      // The audit log is the evidence of the review: who decided what about whose access, and when.
      await audit.record({
        action: "access_review.decide",
        actor: principalLabel(by),
        outcome: "success",
        target: {
          review: review.id,
          item: item.id,
          user: item.userId,
          account: item.accountId,
          role: item.role,
          decision: stored,
        },
      });
      return { ...item, decision: stored, decidedBy: principalLabel(by), decidedAt: now.toISOString() };
    },

    async complete(by: Principal, reviewId: string): Promise<AccessReview> {
      const review = await requireOpen(reviewId);
      await requireReviewer(by, review.organisationId);
      const items = await listItems(db, reviewId);
      if (items.some((i) => i.decision === null)) throw new AppError("REVIEW_INCOMPLETE");
      const now = clock.now();
      if (!(await markReviewCompleted(db, reviewId, principalLabel(by), now)))
        throw new AppError("REVIEW_CLOSED");
      await audit.record({
        action: "access_review.complete",
        actor: principalLabel(by),
        outcome: "success",
        target: {
          review: reviewId,
          organisation: review.organisationId,
          confirmed: String(items.filter((i) => i.decision === "confirmed").length),
          revoked: String(items.filter((i) => i.decision === "revoked").length),
        },
      });
      return {
        ...review,
        status: "completed",
        completedBy: principalLabel(by),
        completedAt: now.toISOString(),
      };
    },

    status: (organisationId: string) => reviewStatus(db, organisationId, clock.now()),
  };
}

export type AccessReviews = ReturnType<typeof createAccessReviews>;
