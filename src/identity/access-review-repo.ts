import type { Kysely } from "kysely";
import type { AccessReviewDecision, AccessReviewStatus, DB } from "../db/schema.js";
import { newId } from "../platform/ids.js";
import type { Membership } from "./memberships-repo.js";

export interface AccessReview {
  id: string;
  organisationId: string;
  status: AccessReviewStatus;
  openedBy: string;
  openedAt: string;
  completedBy: string | null;
  completedAt: string | null;
}

export interface AccessReviewItem {
  id: string;
  reviewId: string;
  userId: string;
  accountId: string;
  role: string;
  decision: AccessReviewDecision | null;
  decidedBy: string | null;
  decidedAt: string | null;
}

function toReview(r: DB["access_reviews"]): AccessReview {
  return {
    id: r.id,
    organisationId: r.organisation_id,
    status: r.status,
    openedBy: r.opened_by,
    openedAt: r.opened_at,
    completedBy: r.completed_by,
    completedAt: r.completed_at,
  };
}

function toItem(r: DB["access_review_items"]): AccessReviewItem {
  return {
    id: r.id,
    reviewId: r.review_id,
    userId: r.user_id,
    accountId: r.seller_account_id,
    role: r.role,
    decision: r.decision,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
  };
}

/** Opens a review holding a snapshot of every (user, account, role) of the organisation. */
export async function insertReview(
  db: Kysely<DB>,
  input: { organisationId: string; openedBy: string; memberships: readonly Membership[] },
  now: Date,
): Promise<AccessReview> {
  const review: DB["access_reviews"] = {
    id: newId(),
    organisation_id: input.organisationId,
    status: "open",
    opened_by: input.openedBy,
    opened_at: now.toISOString(),
    completed_by: null,
    completed_at: null,
  };
  await db.insertInto("access_reviews").values(review).execute();
  for (const m of input.memberships) {
    await db
      .insertInto("access_review_items")
      .values({
        id: newId(),
        review_id: review.id,
        user_id: m.userId,
        seller_account_id: m.accountId,
        role: m.role,
        decision: null,
        decided_by: null,
        decided_at: null,
      })
      .execute();
  }
  return toReview(review);
}

export async function findReview(db: Kysely<DB>, id: string): Promise<AccessReview | null> {
  const row = await db.selectFrom("access_reviews").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toReview(row) : null;
}

export async function findOpenReview(db: Kysely<DB>, organisationId: string): Promise<AccessReview | null> {
  const row = await db
    .selectFrom("access_reviews")
    .selectAll()
    .where("organisation_id", "=", organisationId)
    .where("status", "=", "open")
    .executeTakeFirst();
  return row ? toReview(row) : null;
}

export async function lastCompletedAt(db: Kysely<DB>, organisationId: string): Promise<string | null> {
  const row = await db
    .selectFrom("access_reviews")
    .select("completed_at")
    .where("organisation_id", "=", organisationId)
    .where("status", "=", "completed")
    .orderBy("completed_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row?.completed_at ?? null;
}

export async function listItems(db: Kysely<DB>, reviewId: string): Promise<AccessReviewItem[]> {
  const rows = await db
    .selectFrom("access_review_items")
    .selectAll()
    .where("review_id", "=", reviewId)
    .orderBy("seller_account_id")
    .orderBy("user_id")
    .execute();
  return rows.map(toItem);
}

export async function findItem(db: Kysely<DB>, id: string): Promise<AccessReviewItem | null> {
  const row = await db.selectFrom("access_review_items").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toItem(row) : null;
}

/** Decisions are final: only an undecided item changes; returns false otherwise. */
export async function decideItem(
  db: Kysely<DB>,
  id: string,
  decision: AccessReviewDecision,
  by: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable("access_review_items")
    .set({ decision, decided_by: by, decided_at: now.toISOString() })
    .where("id", "=", id)
    .where("decision", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function markReviewCompleted(
  db: Kysely<DB>,
  id: string,
  by: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable("access_reviews")
    .set({ status: "completed", completed_by: by, completed_at: now.toISOString() })
    .where("id", "=", id)
    .where("status", "=", "open")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
