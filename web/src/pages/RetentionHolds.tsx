import { type FormEvent, useId, useState } from "react";
import { Badge, Time } from "../components";
import { Field, FormError } from "../forms";
import { messageFor } from "../messages";
import { type LegalHold, retention } from "../retention-api";
import { useAction } from "../useResource";

/** A date from the picker is the last moment of that day (UTC): a hold "until 31 March" covers the 31st. */
function endOfDay(date: string): string {
  return `${date}T23:59:59.000Z`;
}

function AddHoldForm({
  accountId,
  ownerDefault,
  onAdded,
}: {
  accountId: string;
  ownerDefault: string;
  onAdded: () => void;
}) {
  const scopeId = useId();
  const [scope, setScope] = useState<"account" | "order">("order");
  const [orderId, setOrderId] = useState("");
  const [reason, setReason] = useState("");
  const [owner, setOwner] = useState(ownerDefault);
  const [until, setUntil] = useState("");
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const added = await action.run(() =>
      retention.addHold(accountId, {
        reason: reason.trim(),
        owner: owner.trim(),
        ...(scope === "order" ? { amazonOrderId: orderId.trim() } : {}),
        ...(until ? { expiresAt: endOfDay(until) } : {}),
      }),
    );
    if (added !== null) {
      setOrderId("");
      setReason("");
      setUntil("");
      onAdded();
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-labelledby={`${scopeId}-title`}>
      <h3 id={`${scopeId}-title`}>Place a legal hold</h3>
      <div className="field">
        <label htmlFor={scopeId}>Applies to</label>
        <select
          id={scopeId}
          value={scope}
          onChange={(e) => setScope(e.target.value === "account" ? "account" : "order")}
        >
          <option value="order">One order</option>
          <option value="account">The whole seller account</option>
        </select>
      </div>
      {scope === "order" && (
        <Field
          label="Amazon order id"
          value={orderId}
          onChange={setOrderId}
          required
          maxLength={64}
          pattern="[0-9A-Za-z\-]{1,64}"
          placeholder="111-0000000-0000000"
        />
      )}
      <Field label="Reason" value={reason} onChange={setReason} required minLength={3} maxLength={500} />
      <Field
        label="Hold owner"
        value={owner}
        onChange={setOwner}
        required
        maxLength={200}
        hint="Who answers for the hold and decides when it ends."
      />
      <Field
        label="Expires (optional)"
        type="date"
        value={until}
        onChange={setUntil}
        hint="Without a date the hold stays until it is released."
      />
      <FormError error={action.error} />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={action.busy}>
          Place hold
        </button>
      </div>
    </form>
  );
}

function HoldRow({
  accountId,
  hold,
  canManage,
  onChange,
}: {
  accountId: string;
  hold: LegalHold;
  canManage: boolean;
  onChange: () => void;
}) {
  const action = useAction();
  const release = async () => {
    if ((await action.run(() => retention.releaseHold(accountId, hold.id))) !== null) onChange();
  };
  return (
    <tr data-hold={hold.id}>
      <th scope="row">{hold.amazonOrderId ? `Order ${hold.amazonOrderId}` : "Whole account"}</th>
      <td>{hold.reason}</td>
      <td>{hold.owner}</td>
      <td>
        <Time value={hold.createdAt} />
      </td>
      <td>
        <Time value={hold.expiresAt} />
      </td>
      <td>
        {hold.active ? (
          <Badge tone="good">Active</Badge>
        ) : (
          <Badge tone="neutral">{hold.releasedAt ? "Released" : "Expired"}</Badge>
        )}
        {canManage && hold.active && (
          <button
            type="button"
            className="button button-danger"
            disabled={action.busy}
            onClick={() => void release()}
          >
            Release
          </button>
        )}
        {action.error && (
          <p className="inline-error" role="alert">
            {messageFor(action.error)}
          </p>
        )}
      </td>
    </tr>
  );
}

/** Legal holds of the account: what they keep past the policy, who owns them, and until when. */
export function LegalHolds({
  accountId,
  holds,
  canManage,
  ownerDefault,
  onChange,
}: {
  accountId: string;
  holds: readonly LegalHold[];
  canManage: boolean;
  ownerDefault: string;
  onChange: () => void;
}) {
  return (
    <section className="card" aria-labelledby="holds-heading">
      <h2 id="holds-heading">Legal holds</h2>
      <p className="muted">
        A hold keeps an order's (or the whole account's) data past its retention period, for a dispute, an
        audit or a regulator. Released or expired, the data follows its rule again.
      </p>
      {holds.length === 0 ? (
        <p className="muted">No legal holds.</p>
      ) : (
        <table className="data-table data-table-compact">
          <caption className="visually-hidden">Legal holds</caption>
          <thead>
            <tr>
              <th scope="col">Applies to</th>
              <th scope="col">Reason</th>
              <th scope="col">Owner</th>
              <th scope="col">Placed</th>
              <th scope="col">Expires</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {holds.map((hold) => (
              <HoldRow
                key={hold.id}
                accountId={accountId}
                hold={hold}
                canManage={canManage}
                onChange={onChange}
              />
            ))}
          </tbody>
        </table>
      )}
      {canManage && <AddHoldForm accountId={accountId} ownerDefault={ownerDefault} onAdded={onChange} />}
    </section>
  );
}
