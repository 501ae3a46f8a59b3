import { useCallback, useState } from "react";
import { AccountPicker, initialAccount } from "../account-picker";
import { PairedBarChart } from "../charts";
import { ErrorNotice, Loading, PageHeader } from "../components";
import { Notice } from "../forms";
import { accountsWith, useSession } from "../session";
import { formatMoney, insights } from "../sync-api";
import { useResource } from "../useResource";

export function FinancesPage() {
  const session = useSession();
  const accounts = accountsWith(session.accounts, "finances:read");
  const [accountId, setAccountId] = useState(() => initialAccount(accounts));
  const [period, setPeriod] = useState<"day" | "month">("month");
  const data = useResource(
    useCallback((signal: AbortSignal) => insights.finances(accountId, period, signal), [accountId, period]),
  );
  if (accounts.length === 0) return <Notice tone="warn" title="No seller account lets you see finances." />;
  const periods = data.result?.ok ? data.result.data.periods : [];
  const currency = periods[0]?.currency ?? "USD";
  const money = (v: number) => formatMoney(Math.round(v), currency);
  return (
    <article className="page">
      <PageHeader title="Finances" lead="Charges, fees and what Amazon pays out, by period.">
        {accounts.length > 1 && (
          <AccountPicker accounts={accounts} value={accountId} onChange={setAccountId} />
        )}
        <div className="field field-inline">
          <label htmlFor="finance-period">By</label>
          <select
            id="finance-period"
            value={period}
            onChange={(e) => setPeriod(e.target.value === "day" ? "day" : "month")}
          >
            <option value="month">Month (last 12)</option>
            <option value="day">Day (last 30)</option>
          </select>
        </div>
      </PageHeader>
      <section className="card" aria-busy={data.loading}>
        {data.result === null ? (
          <Loading>Loading finances…</Loading>
        ) : !data.result.ok ? (
          <ErrorNotice title="Could not load the finances" error={data.result.error} />
        ) : (
          <>
            <PairedBarChart
              label={`Fees and proceeds per ${period} in ${currency}`}
              groups={periods
                .filter((p) => p.currency === currency)
                .map((p) => ({ label: p.period, a: p.feesMinor, b: p.proceedsMinor }))}
              aLabel="Fees"
              bLabel="Proceeds"
              format={money}
            />
            <table className="data-table">
              <caption className="visually-hidden">Totals per period</caption>
              <thead>
                <tr>
                  <th scope="col">Period</th>
                  <th scope="col">Charges</th>
                  <th scope="col">Fees and refunds</th>
                  <th scope="col">Proceeds</th>
                </tr>
              </thead>
              <tbody>
                {periods.map((p) => (
                  <tr key={`${p.period}:${p.currency}`}>
                    <th scope="row">{p.period}</th>
                    <td>{formatMoney(p.chargesMinor, p.currency)}</td>
                    <td>{formatMoney(p.feesMinor, p.currency)}</td>
                    <td>{formatMoney(p.proceedsMinor, p.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </article>
  );
}
