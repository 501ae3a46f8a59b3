import { useCallback } from "react";
import { type OrganisationReview, type ReviewItem, reviews } from "../admin-api";
import { Badge, ErrorNotice, Loading, PageHeader, Time } from "../components";
import { FormError, Notice } from "../forms";
import { messageFor } from "../messages";
import { isRole, ROLE_LABELS } from "../permissions";
import { useSession } from "../session";
import { useAction, useResource } from "../useResource";

function ItemRow({
  reviewId,
  item,
  accountName,
  onDecided,
}: {
  reviewId: string;
  item: ReviewItem;
  accountName: string;
  onDecided: () => void;
}) {
  const action = useAction();
  const decide = async (decision: "confirm" | "revoke") => {
    if ((await action.run(() => reviews.decide(reviewId, item.id, decision))) !== null) onDecided();
  };
  const who = item.name || item.email || item.userId;
  return (
    <tr>
      <th scope="row">
        {who}
        {item.email && item.name && <div className="muted">{item.email}</div>}
      </th>
      <td>{accountName}</td>
      <td>{isRole(item.role) ? ROLE_LABELS[item.role] : item.role}</td>
      <td>
        {item.decision ? (
          <Badge tone={item.decision === "revoked" ? "bad" : "good"}>
            {item.decision === "revoked" ? "Revoked" : "Confirmed"}
          </Badge>
        ) : (
          <div className="button-row">
            <button
              type="button"
              className="button"
              onClick={() => void decide("confirm")}
              disabled={action.busy}
              aria-label={`Confirm ${who}`}
            >
              Confirm
            </button>
            <button
              type="button"
              className="button button-danger"
              onClick={() => void decide("revoke")}
              disabled={action.busy}
              aria-label={`Revoke ${who}`}
            >
              Revoke
            </button>
          </div>
        )}
        {action.error && (
          <p className="inline-error" role="alert">
            {messageFor(action.error)} <code>{action.error.code}</code>
          </p>
        )}
      </td>
    </tr>
  );
}

function OrganisationSection({ status, onChanged }: { status: OrganisationReview; onChanged: () => void }) {
  const session = useSession();
  const action = useAction();
  const accountName = (id: string) => session.accounts.find((a) => a.id === id)?.name ?? id;
  const title = status.organisationName ?? "Your organisation";
  const open = status.open;
  const undecided = open ? open.items.filter((item) => !item.decision).length : 0;

  const start = async () => {
    if ((await action.run(() => reviews.open(status.organisationId))) !== null) onChanged();
  };
  const complete = async () => {
    if (open && (await action.run(() => reviews.complete(open.id))) !== null) onChanged();
  };

  return (
    <section className="card" aria-labelledby={`review-${status.organisationId}`}>
      <h2 id={`review-${status.organisationId}`}>{title}</h2>
      {status.overdue && (
        <Notice tone="warn" title="The quarterly access review is overdue.">
          <p>
            It was due <Time value={status.dueAt} />. Review who has which role and confirm or revoke each
            entry.
          </p>
        </Notice>
      )}
      <dl className="facts">
        <div>
          <dt>Last completed</dt>
          <dd>
            <Time value={status.lastCompletedAt} />
          </dd>
        </div>
        <div>
          <dt>Next due</dt>
          <dd>
            <Time value={status.dueAt} />
          </dd>
        </div>
      </dl>
      {open ? (
        <>
          <p>
            Review opened <Time value={open.openedAt} />. {undecided} of {open.items.length} entries still
            need a decision.
          </p>
          <table className="data-table">
            <caption className="visually-hidden">Roles under review</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Seller account</th>
                <th scope="col">Role</th>
                <th scope="col">Decision</th>
              </tr>
            </thead>
            <tbody>
              {open.items.map((item) => (
                <ItemRow
                  key={item.id}
                  reviewId={open.id}
                  item={item}
                  accountName={accountName(item.accountId)}
                  onDecided={onChanged}
                />
              ))}
            </tbody>
          </table>
          <div className="button-row">
            <button
              type="button"
              className="button button-primary"
              onClick={() => void complete()}
              disabled={action.busy || undecided > 0}
            >
              Complete the review
            </button>
          </div>
        </>
      ) : (
        <div className="button-row">
          <button
            type="button"
            className="button button-primary"
            onClick={() => void start()}
            disabled={action.busy}
          >
            Start an access review
          </button>
        </div>
      )}
      <FormError error={action.error} />
    </section>
  );
}

export function AccessReviewPage() {
  const list = useResource(useCallback((signal: AbortSignal) => reviews.list(signal), []));
  return (
    <article className="page">
      <PageHeader
        title="Access review"
        lead="Every quarter, someone who answers for the organisation confirms or revokes each role. Each decision is evidence in the audit log."
      />
      {list.result === null ? (
        <Loading>Loading access reviews…</Loading>
      ) : !list.result.ok ? (
        <ErrorNotice title="Could not load the access reviews" error={list.result.error} />
      ) : list.result.data.length === 0 ? (
        <p className="muted">There is no organisation for you to review.</p>
      ) : (
        list.result.data.map((status) => (
          <OrganisationSection key={status.organisationId} status={status} onChanged={list.reload} />
        ))
      )}
    </article>
  );
}
