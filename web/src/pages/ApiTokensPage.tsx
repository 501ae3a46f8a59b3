import { type FormEvent, useCallback, useState } from "react";
import { type ApiTokenSummary, fetchRoles, type NewToken, tokens } from "../admin-api";
import { Badge, ErrorNotice, Loading, PageHeader, Time } from "../components";
import { CopyButton, Field, FormError, Notice } from "../forms";
import { messageFor } from "../messages";
import { useSession } from "../session";
import { useAction, useResource } from "../useResource";

function CheckboxGroup({
  legend,
  options,
  selected,
  onChange,
}: {
  legend: string;
  options: readonly { value: string; label: string }[];
  selected: readonly string[];
  onChange: (values: string[]) => void;
}) {
  const toggle = (value: string, on: boolean) =>
    onChange(on ? [...selected, value] : selected.filter((item) => item !== value));
  return (
    <fieldset className="checkbox-group">
      <legend>{legend}</legend>
      {options.map((option) => (
        <label key={option.value} className="checkbox">
          <input
            type="checkbox"
            checked={selected.includes(option.value)}
            onChange={(event) => toggle(option.value, event.target.checked)}
          />
          {option.label}
        </label>
      ))}
    </fieldset>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: () => void }) {
  const session = useSession();
  const [name, setName] = useState("");
  const [accountIds, setAccountIds] = useState<string[]>([]);
  const [permissions, setPermissions] = useState<string[]>([]);
  const [ttlDays, setTtlDays] = useState("30");
  const [created, setCreated] = useState<NewToken | null>(null);
  const action = useAction();
  // A token carries at most what its creator holds on the chosen accounts; the server checks it again.
  const held = new Set(
    session.accounts
      .filter((a) => accountIds.includes(a.id))
      .flatMap((a) => a.permissions as readonly string[]),
  );
  const catalog = useResource(useCallback((signal: AbortSignal) => fetchRoles(signal), []));
  const offered = (catalog.result?.ok ? catalog.result.data.permissions : []).filter(
    (p) => accountIds.length === 0 || held.has(p),
  );
  const offeredSet: ReadonlySet<string> = new Set(offered);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    const days = Number(ttlDays);
    const result = await action.run(() =>
      tokens.create({
        name: name.trim(),
        accountIds,
        permissions: permissions.filter((p) => offeredSet.has(p)),
        ttlDays: days,
      }),
    );
    if (!result) return;
    setCreated(result);
    setName("");
    setPermissions([]);
    onCreated();
  };

  return (
    <section className="card" aria-labelledby="create-token-heading">
      <h2 id="create-token-heading">Create a token</h2>
      <form className="form" onSubmit={(event) => void submit(event)}>
        <Field
          label="Name"
          required
          maxLength={100}
          value={name}
          onChange={setName}
          hint="What the token is for, e.g. “nightly stock export”."
        />
        <CheckboxGroup
          legend="Seller accounts"
          options={session.accounts.map((a) => ({
            value: a.id,
            label: `${a.name}${a.region ? ` (${a.region})` : ""}`,
          }))}
          selected={accountIds}
          onChange={setAccountIds}
        />
        <CheckboxGroup
          legend="Permissions"
          options={offered.map((p) => ({ value: p, label: p }))}
          selected={permissions}
          onChange={setPermissions}
        />
        <Field
          label="Expires after (days)"
          type="number"
          min={1}
          max={365}
          required
          value={ttlDays}
          onChange={setTtlDays}
        />
        <FormError error={action.error} />
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={action.busy}>
            Create token
          </button>
        </div>
      </form>
      {created && (
        <Notice tone="good" title="Token created. Copy it now: it is shown only once.">
          <p>
            <code className="secret" data-testid="new-token">
              {created.token}
            </code>
          </p>
          <div className="button-row">
            <CopyButton text={created.token} label="Copy token" />
          </div>
          <p>
            Send it as <code>Authorization: Bearer …</code>. It expires <Time value={created.expiresAt} />.
          </p>
        </Notice>
      )}
    </section>
  );
}

function TokenRow({ token, onRevoked }: { token: ApiTokenSummary; onRevoked: () => void }) {
  const action = useAction();
  const revoke = async () => {
    if ((await action.run(() => tokens.revoke(token.id))) !== null) onRevoked();
  };
  const expired = token.expiresAt !== "" && new Date(token.expiresAt).getTime() < Date.now();
  return (
    <tr>
      <th scope="row">{token.name}</th>
      <td>
        {token.permissions.join(", ")}
        <div className="muted">{token.accounts.length} account(s)</div>
      </td>
      <td>
        <Time value={token.expiresAt} />
      </td>
      <td>
        <Time value={token.lastUsedAt} />
      </td>
      <td>
        {token.revokedAt ? (
          <Badge tone="bad">Revoked</Badge>
        ) : expired ? (
          <Badge tone="neutral">Expired</Badge>
        ) : (
          <button
            type="button"
            className="button button-danger"
            onClick={() => void revoke()}
            disabled={action.busy}
          >
            Revoke
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

export function ApiTokensPage() {
  const list = useResource(useCallback((signal: AbortSignal) => tokens.list(signal), []));
  return (
    <article className="page">
      <PageHeader
        title="API tokens"
        lead="Personal tokens for scripts: limited to the accounts and permissions you choose, expiring, revocable. Seller Pilot stores only their hash."
      />
      <CreateTokenForm onCreated={list.reload} />
      <section className="card" aria-labelledby="tokens-heading" aria-busy={list.loading}>
        <h2 id="tokens-heading">Your tokens</h2>
        {list.result === null ? (
          <Loading>Loading tokens…</Loading>
        ) : !list.result.ok ? (
          <ErrorNotice title="Could not load your tokens" error={list.result.error} />
        ) : list.result.data.length === 0 ? (
          <p className="muted">No tokens yet.</p>
        ) : (
          <table className="data-table">
            <caption className="visually-hidden">API tokens</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scope</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {list.result.data.map((token) => (
                <TokenRow key={token.id} token={token} onRevoked={list.reload} />
              ))}
            </tbody>
          </table>
        )}
      </section>
    </article>
  );
}
