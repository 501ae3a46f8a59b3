import { useCallback, useState } from "react";
import { AccountPicker, initialAccount } from "../account-picker";
import { Badge, ErrorNotice, Loading, PageHeader, Time } from "../components";
import { Notice } from "../forms";
import { accountsWith, useSession } from "../session";
import { insights } from "../sync-api";
import { useResource } from "../useResource";

export function InventoryPage() {
  const session = useSession();
  const accounts = accountsWith(session.accounts, "inventory:read");
  const [accountId, setAccountId] = useState(() => initialAccount(accounts));
  const [threshold, setThreshold] = useState(10);
  const [lowOnly, setLowOnly] = useState(false);
  const data = useResource(
    useCallback(
      (signal: AbortSignal) => insights.inventory(accountId, threshold, lowOnly, signal),
      [accountId, threshold, lowOnly],
    ),
  );
  if (accounts.length === 0) return <Notice tone="warn" title="No seller account lets you see inventory." />;
  return (
    <article className="page">
      <PageHeader title="Inventory" lead="Fulfillable units per SKU, lowest first.">
        {accounts.length > 1 && (
          <AccountPicker accounts={accounts} value={accountId} onChange={setAccountId} />
        )}
      </PageHeader>
      <section className="card" aria-busy={data.loading}>
        <div className="filters">
          <div className="field">
            <label htmlFor="low-threshold">Low stock below</label>
            <input
              id="low-threshold"
              type="number"
              min={0}
              max={1000000}
              value={threshold}
              onChange={(e) => setThreshold(Math.max(0, Math.min(1_000_000, Number(e.target.value) || 0)))}
            />
          </div>
          <label className="field-inline">
            <input type="checkbox" checked={lowOnly} onChange={(e) => setLowOnly(e.target.checked)} /> Low
            stock only
          </label>
        </div>
        {data.result === null ? (
          <Loading>Loading inventory…</Loading>
        ) : !data.result.ok ? (
          <ErrorNotice title="Could not load the inventory" error={data.result.error} />
        ) : data.result.data.items.length === 0 ? (
          <p className="muted">No inventory synced yet.</p>
        ) : (
          <table className="data-table">
            <caption className="visually-hidden">Inventory by SKU</caption>
            <thead>
              <tr>
                <th scope="col">SKU</th>
                <th scope="col">Product</th>
                <th scope="col">Fulfillable</th>
                <th scope="col">Inbound</th>
                <th scope="col">Reserved</th>
                <th scope="col">Stock</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {data.result.data.items.map((i) => (
                <tr key={`${i.marketplace}:${i.sku}`} className={i.lowStock ? "row-low" : undefined}>
                  <th scope="row">
                    <code>{i.sku}</code>
                  </th>
                  <td>{i.productName ?? i.asin ?? "—"}</td>
                  <td>{i.fulfillable}</td>
                  <td>{i.inbound}</td>
                  <td>{i.reserved}</td>
                  <td>{i.lowStock ? <Badge tone="bad">low</Badge> : <Badge tone="good">ok</Badge>}</td>
                  <td>
                    <Time value={i.lastUpdatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </article>
  );
}
