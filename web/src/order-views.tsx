// Order pieces shared by the orders page and the FBM queue: the order panel with masked buyer data, the
// reveal dialog (a purpose from the fixed list, an optional note), the packing slip and the ship form.
import { type FormEvent, useId, useState } from "react";
import { Badge, Time } from "./components";
import { Field, FormError } from "./forms";
import { type Buyer, formatMoney, type OrderDetail, orders, REVEAL_PURPOSES } from "./sync-api";
import { useAction } from "./useResource";

const MASK = "•••••••";

export function StatusBadge({ status }: { status: string }) {
  const tone =
    status === "SHIPPED" ? "good" : status === "CANCELLED" || status === "UNFULFILLABLE" ? "bad" : "neutral";
  return <Badge tone={tone}>{status.replaceAll("_", " ").toLowerCase()}</Badge>;
}

function addressLines(b: Buyer): string {
  return [
    b.shipName ?? b.buyerName,
    b.addressLine1,
    b.addressLine2,
    b.addressLine3,
    [b.postalCode, b.city].filter(Boolean).join(" "),
    [b.stateOrRegion, b.countryCode].filter(Boolean).join(", "),
  ]
    .filter((line) => line)
    .join("\n");
}

/** Items and the buyer block: masked unless this user holds a live reveal of the order. */
export function OrderPanel({ detail }: { detail: OrderDetail }) {
  const { order, items, buyer, reveal } = detail;
  return (
    <div className="order-panel">
      <dl className="kv">
        <div>
          <dt>Order</dt>
          <dd>
            <code>{order.amazonOrderId}</code> <StatusBadge status={order.status} />
          </dd>
        </div>
        <div>
          <dt>Purchased</dt>
          <dd>
            <Time value={order.purchaseDate} />
          </dd>
        </div>
        <div>
          <dt>Total</dt>
          <dd>{formatMoney(order.totalMinor, order.currency)}</dd>
        </div>
        <div>
          <dt>Ship to</dt>
          <dd data-testid="ship-to">
            {buyer ? (
              <address>{addressLines(buyer)}</address>
            ) : (
              <span className="masked" title="Buyer data is hidden until revealed with a purpose">
                {order.hasBuyerData ? `${MASK} (hidden)` : `${order.shipCountry ?? "—"}`}
              </span>
            )}
          </dd>
        </div>
        {(order.deliveredAt || order.latestDeliveryDate) && (
          <div>
            <dt>{order.deliveredAt ? "Delivered" : "Delivery by"}</dt>
            <dd>
              <Time value={order.deliveredAt ?? order.latestDeliveryDate} />
            </dd>
          </div>
        )}
        {order.buyerDataDeletedAfter && (
          <div>
            <dt>Buyer data deleted</dt>
            <dd data-testid="buyer-data-deleted-after">
              <Time value={order.buyerDataDeletedAfter} /> <span className="muted">(retention policy)</span>
            </dd>
          </div>
        )}
        {reveal && (
          <div>
            <dt>Revealed for</dt>
            <dd>
              {reveal.purpose.replaceAll("_", " ")} until <Time value={reveal.expiresAt} />
            </dd>
          </div>
        )}
      </dl>
      <table className="data-table data-table-compact">
        <caption className="visually-hidden">Items</caption>
        <thead>
          <tr>
            <th scope="col">SKU</th>
            <th scope="col">Title</th>
            <th scope="col">Qty</th>
            <th scope="col">Price</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.itemKey}>
              <td>
                <code>{item.sku ?? "—"}</code>
              </td>
              <td>{item.title ?? "—"}</td>
              <td>{item.quantity}</td>
              <td>{formatMoney(item.itemPriceMinor, item.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Asks for the purpose before any buyer data is shown; the server records it and limits it to 15 minutes. */
export function RevealDialog({
  accountId,
  orderId,
  onRevealed,
  onCancel,
}: {
  accountId: string;
  orderId: string;
  onRevealed: (detail: OrderDetail) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const [purpose, setPurpose] = useState("");
  const [note, setNote] = useState("");
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const detail = await action.run(() => orders.reveal(accountId, orderId, purpose, note));
    if (detail) onRevealed(detail);
  };
  return (
    <form
      className="reveal-dialog form"
      role="dialog"
      aria-labelledby={`${id}-title`}
      onSubmit={(event) => void submit(event)}
    >
      <h3 id={`${id}-title`}>Reveal buyer data of {orderId}</h3>
      <p className="muted">
        The buyer's name and address are shown to you for 15 minutes. Your purpose is recorded in the audit
        log.
      </p>
      <div className="field">
        <label htmlFor={`${id}-purpose`}>Purpose</label>
        <select id={`${id}-purpose`} required value={purpose} onChange={(e) => setPurpose(e.target.value)}>
          <option value="">Choose a purpose…</option>
          {REVEAL_PURPOSES.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
      </div>
      <Field label="Note (optional)" value={note} onChange={setNote} maxLength={200} />
      <FormError error={action.error} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={action.busy || purpose === ""}>
          Reveal
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The printable slip: what goes into the parcel, and the address label. */
export function PackingSlip({ detail }: { detail: OrderDetail }) {
  const { order, items, buyer } = detail;
  return (
    <section className="packing-slip print-area" aria-label="Packing slip">
      <h3>Packing slip — order {order.amazonOrderId}</h3>
      <p>
        Ship by <Time value={order.latestShipDate} /> · {order.shipServiceLevel ?? "Standard"}
      </p>
      <h4>Ship to</h4>
      {buyer ? (
        <address data-testid="slip-address">{addressLines(buyer)}</address>
      ) : (
        <p className="masked">{MASK}</p>
      )}
      <table className="data-table data-table-compact">
        <caption className="visually-hidden">Contents</caption>
        <thead>
          <tr>
            <th scope="col">Qty</th>
            <th scope="col">SKU</th>
            <th scope="col">Item</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.itemKey}>
              <td>{item.quantity}</td>
              <td>
                <code>{item.sku ?? "—"}</code>
              </td>
              <td>{item.title ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" className="button" onClick={() => window.print()}>
        Print
      </button>
    </section>
  );
}

/** Carrier and tracking number, confirmed to Amazon by the server. */
export function ShipForm({
  accountId,
  orderId,
  onShipped,
}: {
  accountId: string;
  orderId: string;
  onShipped: (detail: OrderDetail) => void;
}) {
  const [carrier, setCarrier] = useState("");
  const [tracking, setTracking] = useState("");
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const detail = await action.run(() =>
      orders.ship(accountId, orderId, { carrier: carrier.trim(), trackingNumber: tracking.trim() }),
    );
    if (detail) onShipped(detail);
  };
  return (
    <form className="form" aria-label="Confirm shipment" onSubmit={(event) => void submit(event)}>
      <div className="form-inline">
        <Field label="Carrier" required maxLength={60} value={carrier} onChange={setCarrier} />
        <Field label="Tracking number" required maxLength={100} value={tracking} onChange={setTracking} />
        <button type="submit" className="button button-primary" disabled={action.busy}>
          Confirm shipment
        </button>
      </div>
      <FormError error={action.error} />
    </form>
  );
}
