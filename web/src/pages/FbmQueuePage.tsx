import { useCallback, useState } from "react";
import { AccountPicker, initialAccount } from "../account-picker";
import { ErrorNotice, Loading, PageHeader, Time } from "../components";
import { Notice } from "../forms";
import { OrderPanel, PackingSlip, RevealDialog, ShipForm } from "../order-views";
import { accountsWith, useSession } from "../session";
import { type OrderDetail, orders } from "../sync-api";
import { useResource } from "../useResource";

type Step =
  | { kind: "reveal" }
  | { kind: "slip"; detail: OrderDetail }
  | { kind: "shipped"; detail: OrderDetail };

/** One order's path: reveal the address with a purpose, print the packing slip, confirm the shipment. */
function Fulfil({
  accountId,
  orderId,
  onShipped,
  onClose,
}: {
  accountId: string;
  orderId: string;
  onShipped: () => void;
  onClose: () => void;
}) {
  const [step, setStep] = useState<Step>({ kind: "reveal" });
  return (
    <section className="card" aria-labelledby="fulfil-heading">
      <h2 id="fulfil-heading">Fulfil order {orderId}</h2>
      {step.kind === "reveal" && (
        <RevealDialog
          accountId={accountId}
          orderId={orderId}
          onCancel={onClose}
          onRevealed={(detail) => setStep({ kind: "slip", detail })}
        />
      )}
      {step.kind === "slip" && (
        <>
          <PackingSlip detail={step.detail} />
          <h3>Confirm shipment</h3>
          <ShipForm
            accountId={accountId}
            orderId={orderId}
            onShipped={(detail) => {
              setStep({ kind: "shipped", detail });
              onShipped();
            }}
          />
        </>
      )}
      {step.kind === "shipped" && (
        <>
          <Notice tone="good" title={`Order ${orderId} is confirmed as shipped to Amazon.`} />
          <OrderPanel detail={step.detail} />
        </>
      )}
    </section>
  );
}

export function FbmQueuePage() {
  const session = useSession();
  const accounts = accountsWith(session.accounts, "orders:ship");
  const [accountId, setAccountId] = useState(() => initialAccount(accounts));
  const [selected, setSelected] = useState<string | null>(null);
  const queue = useResource(
    useCallback((signal: AbortSignal) => orders.fbmQueue(accountId, null, signal), [accountId]),
  );
  if (accounts.length === 0) return <Notice tone="warn" title="No seller account lets you ship orders." />;
  return (
    <article className="page">
      <PageHeader title="FBM queue" lead="Unshipped orders you fulfil yourself, newest first.">
        {accounts.length > 1 && (
          <AccountPicker accounts={accounts} value={accountId} onChange={setAccountId} />
        )}
      </PageHeader>
      <section className="card" aria-busy={queue.loading} aria-labelledby="queue-heading">
        <h2 id="queue-heading">To ship</h2>
        {queue.result === null ? (
          <Loading>Loading the queue…</Loading>
        ) : !queue.result.ok ? (
          <ErrorNotice title="Could not load the queue" error={queue.result.error} />
        ) : queue.result.data.orders.length === 0 ? (
          <p className="muted">Nothing to ship.</p>
        ) : (
          <table className="data-table">
            <caption className="visually-hidden">Unshipped FBM orders</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Purchased</th>
                <th scope="col">Ship by</th>
                <th scope="col">Service</th>
                <th scope="col">
                  <span className="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {queue.result.data.orders.map((o) => (
                <tr key={o.amazonOrderId}>
                  <th scope="row">
                    <code>{o.amazonOrderId}</code>
                  </th>
                  <td>
                    <Time value={o.purchaseDate} />
                  </td>
                  <td>
                    <Time value={o.latestShipDate} />
                  </td>
                  <td>{o.shipServiceLevel ?? "—"}</td>
                  <td>
                    <button type="button" className="button" onClick={() => setSelected(o.amazonOrderId)}>
                      Fulfil {o.amazonOrderId}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {selected && (
        <Fulfil
          key={`${accountId}:${selected}`}
          accountId={accountId}
          orderId={selected}
          onShipped={queue.reload}
          onClose={() => setSelected(null)}
        />
      )}
    </article>
  );
}
