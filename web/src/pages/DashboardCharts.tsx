import { useCallback, useState } from "react";
import { AccountPicker, initialAccount } from "../account-picker";
import { AreaChart, BarChart, PairedBarChart } from "../charts";
import { ErrorNotice, Loading } from "../components";
import type { AccountSummary } from "../identity-api";
import { formatMoney, insights } from "../sync-api";
import { useResource } from "../useResource";

const RANGES = [
  { days: 7, label: "Last 7 days" },
  { days: 30, label: "Last 30 days" },
  { days: 90, label: "Last 90 days" },
  { days: 365, label: "Last 12 months" },
] as const;

/** Sales over time, orders by status and (for roles with finances:read) fees against proceeds. */
export function DashboardCharts({ accounts }: { accounts: readonly AccountSummary[] }) {
  const [accountId, setAccountId] = useState(() => initialAccount(accounts));
  const [days, setDays] = useState<number>(30);
  const data = useResource(
    useCallback(
      (signal: AbortSignal) => {
        const to = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
        const from = new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
        return insights.dashboard(accountId, { from, to }, signal);
      },
      [accountId, days],
    ),
  );
  const result = data.result;
  // One currency per chart: the account's main one (the most sales), others listed below.
  const currencies = result?.ok ? [...new Set(result.data.salesByDay.map((s) => s.currency))] : [];
  const currency = currencies[0] ?? "USD";
  const money = (v: number) => formatMoney(Math.round(v), currency);

  return (
    <section className="card" aria-labelledby="sales-heading" aria-busy={data.loading}>
      <div className="page-header">
        <h2 id="sales-heading">Sales and orders</h2>
        <div className="filters">
          {accounts.length > 1 && (
            <AccountPicker accounts={accounts} value={accountId} onChange={setAccountId} />
          )}
          <div className="field field-inline">
            <label htmlFor="dashboard-range">Period</label>
            <select id="dashboard-range" value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {RANGES.map((r) => (
                <option key={r.days} value={r.days}>
                  {r.label}
                </option>
              ))}
            </select>
          </div>
        </div>
      </div>
      {result === null ? (
        <Loading>Loading sales…</Loading>
      ) : !result.ok ? (
        <ErrorNotice title="Could not load the dashboard" error={result.error} />
      ) : (
        <div className="chart-grid-2">
          <div>
            <h3>Sales over time ({currency})</h3>
            <AreaChart
              label={`Sales per day in ${currency}`}
              points={result.data.salesByDay
                .filter((s) => s.currency === currency)
                .map((s) => ({ label: s.day, value: s.totalMinor }))}
              format={money}
            />
            {currencies.length > 1 && (
              <p className="muted">Also sold in: {currencies.slice(1).join(", ")}.</p>
            )}
          </div>
          <div>
            <h3>Orders by status</h3>
            <BarChart
              label="Orders by status"
              bars={result.data.ordersByStatus.map((s) => ({ label: s.status, value: s.count }))}
            />
          </div>
          {result.data.finances !== null && (
            <div>
              <h3>Fees and proceeds ({currency})</h3>
              <PairedBarChart
                label={`Fees and proceeds per day in ${currency}`}
                groups={result.data.finances
                  .filter((f) => f.currency === currency)
                  .map((f) => ({ label: f.period, a: f.feesMinor, b: f.proceedsMinor }))}
                aLabel="Fees"
                bLabel="Proceeds"
                format={money}
              />
            </div>
          )}
        </div>
      )}
    </section>
  );
}
