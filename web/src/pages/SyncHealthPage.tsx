import { useCallback, useState } from "react";
import { AccountPicker, initialAccount } from "../account-picker";
import { Badge, ErrorNotice, Loading, PageHeader, Time } from "../components";
import { Notice } from "../forms";
import { accountsWith, useSession } from "../session";
import { insights } from "../sync-api";
import { useResource } from "../useResource";
import { SyncSchedule } from "./SyncSchedule";

function lag(seconds: number | null): string {
  if (seconds === null) return "never synced";
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

export function SyncHealthPage() {
  const session = useSession();
  const accounts = accountsWith(session.accounts, "orders:read");
  const [accountId, setAccountId] = useState(() => initialAccount(accounts));
  const data = useResource(
    useCallback((signal: AbortSignal) => insights.syncHealth(accountId, signal), [accountId]),
  );
  const account = accounts.find((a) => a.id === accountId);
  if (accounts.length === 0) return <Notice tone="warn" title="No seller account to show." />;
  return (
    <article className="page">
      <PageHeader
        title="Sync health"
        lead="How current each kind of Amazon data is, and what went wrong last."
      >
        {accounts.length > 1 && (
          <AccountPicker accounts={accounts} value={accountId} onChange={setAccountId} />
        )}
        <button type="button" className="button" onClick={data.reload}>
          Refresh
        </button>
      </PageHeader>
      <SyncSchedule
        key={accountId}
        accountId={accountId}
        canRun={account?.permissions.includes("sync:run") ?? false}
        onFinished={data.reload}
      />
      <section className="card" aria-labelledby="streams-heading" aria-busy={data.loading}>
        <h2 id="streams-heading">Streams</h2>
        {data.result === null ? (
          <Loading>Loading…</Loading>
        ) : !data.result.ok ? (
          <ErrorNotice title="Could not load sync health" error={data.result.error} />
        ) : data.result.data.streams.length === 0 ? (
          <p className="muted">No sync has run for this account yet.</p>
        ) : (
          <table className="data-table">
            <caption className="visually-hidden">Sync streams</caption>
            <thead>
              <tr>
                <th scope="col">Stream</th>
                <th scope="col">Last success</th>
                <th scope="col">Lag</th>
                <th scope="col">Last error</th>
                <th scope="col">Throttled (429)</th>
              </tr>
            </thead>
            <tbody>
              {data.result.data.streams.map((s) => (
                <tr key={s.stream}>
                  <th scope="row">{s.stream}</th>
                  <td>
                    <Time value={s.lastSuccessAt} />
                  </td>
                  <td>{lag(s.lagSeconds)}</td>
                  <td>
                    {s.lastErrorCode ? (
                      <>
                        <Badge tone="bad">{s.lastErrorCode}</Badge> <Time value={s.lastErrorAt} />
                      </>
                    ) : (
                      <Badge tone="good">none</Badge>
                    )}
                  </td>
                  <td>{s.throttledCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </article>
  );
}
