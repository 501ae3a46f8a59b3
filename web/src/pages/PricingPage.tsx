import { useCallback, useState } from "react";
import { AccountPicker, initialAccount } from "../account-picker";
import { Badge, ErrorNotice, Loading, PageHeader, Time } from "../components";
import { Notice } from "../forms";
import { accountsWith, useSession } from "../session";
import { formatMoney, insights } from "../sync-api";
import { useResource } from "../useResource";

export function PricingPage() {
  const session = useSession();
  const accounts = accountsWith(session.accounts, "pricing:read");
  const [accountId, setAccountId] = useState(() => initialAccount(accounts));
  const data = useResource(
    useCallback((signal: AbortSignal) => insights.pricing(accountId, signal), [accountId]),
  );
  if (accounts.length === 0) return <Notice tone="warn" title="No seller account lets you see pricing." />;
  const rows = data.result?.ok ? data.result.data.prices : [];
  const won = rows.filter((p) => p.buyBox === "won").length;
  return (
    <article className="page">
      <PageHeader
        title="Pricing"
        lead="Your competitive position per ASIN: the buy box, and your price against the lowest offer."
      >
        {accounts.length > 1 && (
          <AccountPicker accounts={accounts} value={accountId} onChange={setAccountId} />
        )}
      </PageHeader>
      <section className="card" aria-busy={data.loading}>
        {data.result === null ? (
          <Loading>Loading prices…</Loading>
        ) : !data.result.ok ? (
          <ErrorNotice title="Could not load the prices" error={data.result.error} />
        ) : rows.length === 0 ? (
          <p className="muted">No prices synced yet.</p>
        ) : (
          <>
            <p>
              Buy box won on <strong>{won}</strong> of {rows.length} ASINs.
            </p>
            <table className="data-table">
              <caption className="visually-hidden">Competitive position per ASIN</caption>
              <thead>
                <tr>
                  <th scope="col">ASIN</th>
                  <th scope="col">SKU</th>
                  <th scope="col">Buy box</th>
                  <th scope="col">Our price</th>
                  <th scope="col">Lowest</th>
                  <th scope="col">Above lowest</th>
                  <th scope="col">Offers</th>
                  <th scope="col">As of</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((p) => (
                  <tr key={`${p.marketplace}:${p.asin}`}>
                    <th scope="row">
                      <code>{p.asin}</code>
                    </th>
                    <td>{p.sku ?? "—"}</td>
                    <td>
                      <Badge tone={p.buyBox === "won" ? "good" : p.buyBox === "lost" ? "bad" : "neutral"}>
                        {p.buyBox}
                      </Badge>
                    </td>
                    <td>{formatMoney(p.ownPriceMinor, p.currency)}</td>
                    <td>{formatMoney(p.lowestPriceMinor, p.currency)}</td>
                    <td>{formatMoney(p.aboveLowestMinor, p.currency)}</td>
                    <td>{p.offerCount ?? "—"}</td>
                    <td>
                      <Time value={p.asOf} />
                    </td>
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
