import { type FormEvent, useCallback, useState } from "react";
import { AccountPicker, initialAccount } from "../account-picker";
import { ErrorNotice, Loading, PageHeader, Time } from "../components";
import { Field, Notice } from "../forms";
import { OrderPanel, RevealDialog, StatusBadge } from "../order-views";
import { accountsWith, useSession } from "../session";
import { formatMoney, type OrderDetail, type OrderFilters, orders } from "../sync-api";
import { useResource } from "../useResource";

const STATUSES = ["", "PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED"] as const;

function OrderDetailCard({
  accountId,
  orderId,
  canReveal,
}: {
  accountId: string;
  orderId: string;
  canReveal: boolean;
}) {
  const [revealed, setRevealed] = useState<OrderDetail | null>(null);
  const [asking, setAsking] = useState(false);
  const loaded = useResource(
    useCallback((signal: AbortSignal) => orders.get(accountId, orderId, signal), [accountId, orderId]),
  );
  const detail = revealed ?? (loaded.result?.ok ? loaded.result.data : null);
  return (
    <section className="card" aria-labelledby="order-heading">
      <h2 id="order-heading">Order {orderId}</h2>
      {loaded.result === null ? (
        <Loading>Loading the order…</Loading>
      ) : !loaded.result.ok ? (
        <ErrorNotice title="Could not load the order" error={loaded.result.error} />
      ) : detail ? (
        <>
          <OrderPanel detail={detail} />
          {canReveal && detail.order.hasBuyerData && !detail.buyer && !asking && (
            <button type="button" className="button" onClick={() => setAsking(true)}>
              Reveal buyer data…
            </button>
          )}
          {asking && (
            <RevealDialog
              accountId={accountId}
              orderId={orderId}
              onCancel={() => setAsking(false)}
              onRevealed={(d) => {
                setRevealed(d);
                setAsking(false);
              }}
            />
          )}
        </>
      ) : null}
    </section>
  );
}

export function OrdersPage() {
  const session = useSession();
  const accounts = accountsWith(session.accounts, "orders:read");
  const [accountId, setAccountId] = useState(() => initialAccount(accounts));
  const account = accounts.find((a) => a.id === accountId);
  const [draft, setDraft] = useState({ status: "", channel: "", from: "", to: "", search: "" });
  const [filters, setFilters] = useState<OrderFilters>({});
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [selected, setSelected] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useResource(
    useCallback(
      (signal: AbortSignal) => orders.list(accountId, { ...filters, cursor, limit: 25 }, signal),
      [accountId, filters, cursor],
    ),
  );
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters({ ...draft });
    setCursors([null]);
    setSelected(null);
  };

  if (accounts.length === 0) return <Notice tone="warn" title="No seller account lets you see orders." />;
  return (
    <article className="page">
      <PageHeader
        title="Orders"
        lead="Buyer names and addresses stay hidden until revealed for a stated purpose."
      >
        {accounts.length > 1 && (
          <AccountPicker
            accounts={accounts}
            value={accountId}
            onChange={(id) => {
              setAccountId(id);
              setCursors([null]);
              setSelected(null);
            }}
          />
        )}
      </PageHeader>
      <section className="card">
        <form className="filters" onSubmit={apply} aria-label="Order filters">
          <Field
            label="Search order id or SKU"
            maxLength={64}
            value={draft.search}
            onChange={(search) => setDraft({ ...draft, search })}
          />
          <div className="field">
            <label htmlFor="orders-status">Status</label>
            <select
              id="orders-status"
              value={draft.status}
              onChange={(e) => setDraft({ ...draft, status: e.target.value })}
            >
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s === "" ? "Any" : s.replaceAll("_", " ").toLowerCase()}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="orders-channel">Fulfilment</label>
            <select
              id="orders-channel"
              value={draft.channel}
              onChange={(e) => setDraft({ ...draft, channel: e.target.value })}
            >
              <option value="">Any</option>
              <option value="FBM">By me (FBM)</option>
              <option value="FBA">By Amazon (FBA)</option>
            </select>
          </div>
          <Field
            label="From"
            type="date"
            value={draft.from}
            onChange={(from) => setDraft({ ...draft, from })}
          />
          <Field
            label="To (exclusive)"
            type="date"
            value={draft.to}
            onChange={(to) => setDraft({ ...draft, to })}
          />
          <button type="submit" className="button button-primary">
            Apply
          </button>
        </form>
      </section>
      <section className="card" aria-busy={page.loading} aria-labelledby="orders-heading">
        <h2 id="orders-heading" className="visually-hidden">
          Order list
        </h2>
        {page.result === null ? (
          <Loading>Loading orders…</Loading>
        ) : !page.result.ok ? (
          <ErrorNotice title="Could not load the orders" error={page.result.error} />
        ) : page.result.data.orders.length === 0 ? (
          <p className="muted">No orders match.</p>
        ) : (
          <>
            <table className="data-table">
              <caption className="visually-hidden">Orders, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col">Purchased</th>
                  <th scope="col">Status</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Total</th>
                  <th scope="col">Buyer</th>
                </tr>
              </thead>
              <tbody>
                {page.result.data.orders.map((o) => (
                  <tr key={o.amazonOrderId}>
                    <th scope="row">
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => setSelected(o.amazonOrderId)}
                      >
                        {o.amazonOrderId}
                      </button>
                    </th>
                    <td>
                      <Time value={o.purchaseDate} />
                    </td>
                    <td>
                      <StatusBadge status={o.status} />
                    </td>
                    <td>{o.fulfillmentChannel}</td>
                    <td>{formatMoney(o.totalMinor, o.currency)}</td>
                    <td className="masked">{o.hasBuyerData ? "••••••• (hidden)" : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="button-row">
              <button
                type="button"
                className="button"
                disabled={cursors.length <= 1}
                onClick={() => setCursors(cursors.slice(0, -1))}
              >
                Previous
              </button>
              <button
                type="button"
                className="button"
                disabled={!page.result.data.nextCursor}
                onClick={() => {
                  const next = page.result?.ok ? page.result.data.nextCursor : null;
                  if (next) setCursors([...cursors, next]);
                }}
              >
                Next
              </button>
            </div>
          </>
        )}
      </section>
      {selected && (
        <OrderDetailCard
          key={`${accountId}:${selected}`}
          accountId={accountId}
          orderId={selected}
          canReveal={account?.permissions.includes("orders:read_pii") ?? false}
        />
      )}
    </article>
  );
}
