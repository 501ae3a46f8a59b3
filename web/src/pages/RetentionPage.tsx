import { useCallback, useState } from "react";
import { AccountPicker, initialAccount } from "../account-picker";
import type { Result } from "../api";
import { AreaChart } from "../charts";
import { Badge, ErrorNotice, Loading, PageHeader, Time } from "../components";
import { FormError, Notice } from "../forms";
import { type Policy, type RetentionStatus, retention, type TypeCounts } from "../retention-api";
import { navigate } from "../router";
import { accountsWith, useSession } from "../session";
import { useAction, useResource } from "../useResource";
import { LegalHolds } from "./RetentionHolds";

const count = (n: number | null | undefined) => (n === null || n === undefined ? "—" : n.toLocaleString());

function PolicyTable({ policy, counts }: { policy: Policy; counts: readonly TypeCounts[] | null }) {
  const byType = new Map((counts ?? []).map((c) => [c.type, c]));
  return (
    <table className="data-table" data-testid="retention-policy">
      <caption className="visually-hidden">Retention policy {policy.version}</caption>
      <thead>
        <tr>
          <th scope="col">Data type</th>
          <th scope="col">Rule</th>
          <th scope="col">Period</th>
          <th scope="col">Legal basis</th>
          {counts && <th scope="col">Records</th>}
          {counts && <th scope="col">Overdue</th>}
        </tr>
      </thead>
      <tbody>
        {policy.dataTypes.map((row) => {
          const c = byType.get(row.type);
          return (
            <tr key={row.type} data-type={row.type}>
              <th scope="row">
                {row.label}
                <div className="muted">{row.covers}</div>
              </th>
              <td>{row.rule}</td>
              <td>
                {row.type === "account_and_contact_data"
                  ? `${policy.accountGraceDays} days`
                  : row.periodDays === null
                    ? "—"
                    : `${row.periodDays} days`}
              </td>
              <td>{row.legalBasis}</td>
              {counts && <td>{count(c?.records)}</td>}
              {counts && (
                <td>
                  {count(c?.overdue)}
                  {(c?.held ?? 0) > 0 && <div className="muted">{count(c?.held)} held</div>}
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The policy table; with an account's status, its records and overdue counts per type. */
function PolicyCard({ policy, status }: { policy: Result<Policy> | null; status: RetentionStatus | null }) {
  return (
    <section className="card" aria-labelledby="policy-heading">
      <h2 id="policy-heading">{status ? "This account's data and its retention" : "Retention policy"}</h2>
      {policy === null ? (
        <Loading>Loading the policy…</Loading>
      ) : !policy.ok ? (
        <ErrorNotice title="Could not load the retention policy" error={policy.error} />
      ) : (
        <PolicyTable policy={policy.data} counts={status?.dataTypes ?? null} />
      )}
      {status && (
        <p className="muted">
          As of <Time value={status.asOf} />. Overdue records go at the next retention run; held ones stay
          until their legal hold ends.
        </p>
      )}
    </section>
  );
}

function ScheduledDeletionBanner({ status }: { status: RetentionStatus }) {
  const s = status.scheduledDeletion;
  if (!s) return null;
  const cause = s.reason === "revocation" ? "The Amazon authorization was revoked" : "The account was closed";
  return (
    <Notice tone="warn" title="This seller account is scheduled for deletion">
      <p data-testid="scheduled-deletion">
        {cause} on <Time value={s.since} />. All its data is deleted by crypto-shredding after{" "}
        <Time value={s.executeAfter} /> ({s.graceDays}-day grace period), at the latest by{" "}
        <Time value={s.deadline} />.
        {s.reason === "revocation" && " Re-authorizing the account before then cancels the deletion."}
      </p>
    </Notice>
  );
}

function DeletionRequest({
  accountId,
  accountName,
  status,
  canRequest,
  onChange,
}: {
  accountId: string;
  accountName: string;
  status: RetentionStatus;
  canRequest: boolean;
  onChange: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const request = status.deletionRequest;
  const confirm = async () => {
    if ((await action.run(() => retention.requestDeletion(accountId))) !== null) {
      setConfirming(false);
      onChange();
    }
  };
  return (
    <section className="card" aria-labelledby="deletion-heading">
      <h2 id="deletion-heading">Deletion of all data</h2>
      {request ? (
        <p data-testid="deletion-request">
          <Badge tone="bad">{request.status}</Badge> Requested by {request.requestedBy} on{" "}
          <Time value={request.requestedAt} />; carried out by the next retention run, at the latest by{" "}
          <Time value={request.deadline} />.
        </p>
      ) : (
        <p className="muted">No deletion has been requested for this seller account.</p>
      )}
      {canRequest && !request && !confirming && (
        <div className="button-row">
          <button type="button" className="button button-danger" onClick={() => setConfirming(true)}>
            Request deletion of all data
          </button>
        </div>
      )}
      {canRequest && !request && confirming && (
        <Notice tone="warn" title={`Delete all data of ${accountName}?`}>
          <p>
            Orders, buyer data, inventory, prices, finances, credentials and keys of this seller account are
            deleted at the next retention run and cannot be restored. Legal holds on the account postpone it.
          </p>
          <div className="button-row">
            <button
              type="button"
              className="button button-danger"
              disabled={action.busy}
              onClick={() => void confirm()}
            >
              Yes, delete all data
            </button>
            <button type="button" className="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </Notice>
      )}
      <FormError error={action.error} />
    </section>
  );
}

function AccountRetention({
  accountId,
  accountName,
  canDelete,
  ownerDefault,
  policy,
}: {
  accountId: string;
  accountName: string;
  canDelete: boolean;
  ownerDefault: string;
  policy: Result<Policy> | null;
}) {
  const status = useResource(
    useCallback((signal: AbortSignal) => retention.status(accountId, signal), [accountId]),
  );
  if (status.result === null) return <Loading>Loading the account's retention status…</Loading>;
  if (!status.result.ok)
    return <ErrorNotice title="Could not load the retention status" error={status.result.error} />;
  const data = status.result.data;
  const total = data.upcomingPurges.reduce((n, p) => n + p.count, 0);
  return (
    <>
      <ScheduledDeletionBanner status={data} />
      <PolicyCard policy={policy} status={data} />
      <section className="card" aria-labelledby="purges-heading">
        <h2 id="purges-heading">Upcoming buyer data purges</h2>
        <p className="muted" data-testid="purge-total">
          {total.toLocaleString()} buyer record(s) reach the end of their retention in the next 30 days.
        </p>
        <AreaChart
          label="Buyer records purged per day, next 30 days"
          points={data.upcomingPurges.map((p) => ({ label: p.day, value: p.count }))}
          format={(v) => (Number.isInteger(v) ? String(v) : v.toFixed(1))}
        />
      </section>
      <LegalHolds
        accountId={accountId}
        holds={data.legalHolds}
        canManage
        ownerDefault={ownerDefault}
        onChange={status.reload}
      />
      <DeletionRequest
        accountId={accountId}
        accountName={accountName}
        status={data}
        canRequest={canDelete}
        onChange={status.reload}
      />
    </>
  );
}

export function RetentionPage() {
  const session = useSession();
  // The account's status and holds need account:manage; everyone signed in sees the policy itself.
  const accounts = accountsWith(session.accounts, "account:manage");
  const [accountId, setAccountId] = useState(() => initialAccount(accounts));
  const account = accounts.find((item) => item.id === accountId);
  const policy = useResource(useCallback((signal: AbortSignal) => retention.policy(signal), []));

  const choose = (id: string) => {
    setAccountId(id);
    navigate(`/retention?account=${encodeURIComponent(id)}`, { replace: true });
  };

  return (
    <article className="page page-wide">
      <PageHeader
        title="Data and retention"
        lead="What Seller Pilot keeps, for how long and why: the same policy table the deletion jobs run on."
      >
        {accounts.length > 1 && <AccountPicker accounts={accounts} value={accountId} onChange={choose} />}
      </PageHeader>
      {!account && <PolicyCard policy={policy.result} status={null} />}
      {account && (
        <AccountRetention
          key={account.id}
          accountId={account.id}
          accountName={account.name}
          canDelete={account.permissions.includes("account:delete")}
          ownerDefault={session.info.user?.email ?? ""}
          policy={policy.result}
        />
      )}
    </article>
  );
}
