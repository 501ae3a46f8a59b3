// Seller accounts: their connection status, enabled features and the SP-API roles those need, and Amazon's
// website authorization workflow to connect a new account or reconnect one whose authorization was revoked.
// Starting it sends the browser to Amazon's consent page; Amazon returns it to the server's callback, which
// lands here with ?connected=<account id>.
import { type FormEvent, useCallback, useId, useState } from "react";
import { fetchMeta } from "../api";
import { Badge, ErrorNotice, Loading, PageHeader } from "../components";
import { type ConnectedAccount, connect, type Feature, PII_FEATURES, rolesFor } from "../connect-api";
import { FormError, Notice } from "../forms";
import { messageFor } from "../messages";
import { isRole, ROLE_LABELS } from "../permissions";
import { navigate } from "../router";
import { useSession } from "../session";
import { useAction, useResource } from "../useResource";

export const REVOKED_EXPLANATION = "Amazon says the seller removed the app; reconnect to resume syncing.";

/** Sends the browser to the consent page; the server bound the state in it to this session. */
async function startConnect(
  run: ReturnType<typeof useAction>["run"],
  features: readonly string[],
): Promise<void> {
  const started = await run(() => connect.start(features));
  if (started) window.location.assign(started.consentUrl);
}

function StatusBadge({ status }: { status: string }) {
  if (status === "active") return <Badge tone="good">Active</Badge>;
  if (status === "authorization_revoked") return <Badge tone="bad">Authorization revoked</Badge>;
  if (status === "closed") return <Badge tone="neutral">Closed</Badge>;
  return <Badge tone="neutral">{status || "Unknown"}</Badge>;
}

function ReconnectButton({ account }: { account: ConnectedAccount }) {
  const action = useAction();
  return (
    <div>
      <button
        type="button"
        className="button button-primary"
        disabled={action.busy || account.features.length === 0}
        onClick={() => void startConnect(action.run, account.features)}
      >
        Reconnect {account.name}
      </button>
      {action.error && (
        <p className="inline-error" role="alert">
          {messageFor(action.error)} <code>{action.error.code}</code>
        </p>
      )}
    </div>
  );
}

function AccountTable({
  accounts,
  labelOf,
  mayConnect,
}: {
  accounts: readonly ConnectedAccount[];
  labelOf: (feature: string) => string;
  mayConnect: boolean;
}) {
  return (
    <table className="data-table">
      <caption className="visually-hidden">Seller accounts, their status and features</caption>
      <thead>
        <tr>
          <th scope="col">Account</th>
          <th scope="col">Region</th>
          <th scope="col">Status</th>
          <th scope="col">Your role</th>
          <th scope="col">Enabled features</th>
          <th scope="col">SP-API roles they need</th>
        </tr>
      </thead>
      <tbody>
        {accounts.map((account) => (
          <tr key={account.id} data-account-id={account.id}>
            <th scope="row">{account.name}</th>
            <td>{account.region.toUpperCase()}</td>
            <td>
              <StatusBadge status={account.status} />
              {account.status === "authorization_revoked" && (
                <div className="account-status-note">
                  <p>{REVOKED_EXPLANATION}</p>
                  {mayConnect && <ReconnectButton account={account} />}
                </div>
              )}
            </td>
            <td>{isRole(account.role) ? ROLE_LABELS[account.role] : account.role}</td>
            <td>
              {account.features.length === 0 ? (
                <span className="muted">None</span>
              ) : (
                <ul className="tag-list">
                  {account.features.map((f) => (
                    <li key={f}>{labelOf(f)}</li>
                  ))}
                </ul>
              )}
            </td>
            <td>
              {account.requiredRoles.length === 0 ? (
                <span className="muted">None</span>
              ) : (
                <ul className="role-list">
                  {account.requiredRoles.map((r) => (
                    <li key={r}>{r}</li>
                  ))}
                </ul>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ConnectForm({ features, demo }: { features: readonly Feature[]; demo: boolean }) {
  const [chosen, setChosen] = useState<string[]>([]);
  const action = useAction();
  const prefix = useId();
  const requested = rolesFor(features, chosen);
  const toggle = (name: string, on: boolean) =>
    setChosen((previous) => (on ? [...previous, name] : previous.filter((item) => item !== name)));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (chosen.length === 0) {
      action.setError({ code: "CONNECT_FEATURES_INVALID", message: "Choose at least one feature." });
      return;
    }
    void startConnect(action.run, chosen);
  };
  return (
    <form className="form" onSubmit={submit}>
      <fieldset className="feature-group">
        <legend>Features to enable</legend>
        {features.map((feature) => (
          <div key={feature.name} className="feature-option">
            <label className="checkbox">
              <input
                type="checkbox"
                name="features"
                value={feature.name}
                checked={chosen.includes(feature.name)}
                onChange={(event) => toggle(feature.name, event.target.checked)}
                aria-describedby={`${prefix}-${feature.name}-roles`}
              />
              {feature.label}
            </label>
            <p id={`${prefix}-${feature.name}-roles`} className="field-hint">
              SP-API roles: {feature.roles.join(", ")}
              {PII_FEATURES.has(feature.name) &&
                ". Includes restricted roles that give access to buyers' names and shipping addresses: choose it only if you ship orders yourself."}
            </p>
          </div>
        ))}
      </fieldset>
      <div className="requested-roles" aria-live="polite">
        <p>
          Seller Pilot asks Amazon only for the roles of the features you check (least privilege). If the
          seller who consents already has an account here, it is re-authorized with these features instead of
          added again.
        </p>
        {requested.length === 0 ? (
          <p className="muted">No feature chosen yet: nothing would be requested.</p>
        ) : (
          <>
            <p id={`${prefix}-requested`}>The seller will be asked to grant:</p>
            <ul className="role-list" aria-labelledby={`${prefix}-requested`}>
              {requested.map((role) => (
                <li key={role}>{role}</li>
              ))}
            </ul>
          </>
        )}
      </div>
      {demo && (
        <p className="muted">
          Demo mode: the consent page is the built-in SP-API sandbox's, which consents at once as its first
          demo seller.
        </p>
      )}
      <FormError error={action.error} />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={action.busy}>
          Continue to Amazon
        </button>
      </div>
    </form>
  );
}

export function AccountsPage() {
  const session = useSession();
  const user = session.info.user;
  // Who may connect (the server checks again): an instance admin or an owner in the organisation.
  const mayConnect = user?.isInstanceAdmin === true || session.accounts.some((a) => a.role === "owner");
  const [connectedId, setConnectedId] = useState(() =>
    new URLSearchParams(window.location.search).get("connected"),
  );
  // The callback sends the browser back here with the refusal's code when connecting failed.
  const [failedCode, setFailedCode] = useState(() => {
    const code = new URLSearchParams(window.location.search).get("error");
    return code !== null && /^[A-Z_]{1,64}$/.test(code) ? code : null;
  });
  const accounts = useResource(useCallback((signal: AbortSignal) => connect.accounts(signal), []));
  const features = useResource(useCallback((signal: AbortSignal) => connect.features(signal), []));
  const meta = useResource(useCallback((signal: AbortSignal) => fetchMeta(signal), []));
  const featureList = features.result?.ok ? features.result.data : [];
  const labelOf = (name: string) => featureList.find((f) => f.name === name)?.label ?? name;
  // By name: the server lists by membership, whose order changes when a reconnect renews the owner role.
  // Features name what accounts show: wait for both, so labels never flash as raw names.
  const labelsReady = features.result !== null;
  const list =
    labelsReady && accounts.result?.ok
      ? [...accounts.result.data].sort((a, b) => a.name.localeCompare(b.name))
      : null;
  const connected = connectedId && list ? list.find((a) => a.id === connectedId) : undefined;

  const dismiss = () => {
    setConnectedId(null);
    setFailedCode(null);
    navigate("/accounts", { replace: true });
  };

  return (
    <article className="page">
      <PageHeader
        title="Seller accounts"
        lead="The Amazon seller accounts Seller Pilot may read, what each one is used for and the SP-API roles that needs."
      />
      {failedCode && (
        <Notice tone="warn" title="The seller account was not connected.">
          <p>
            {messageFor({ code: failedCode, message: "Amazon's authorization could not be completed." })}{" "}
            <code>{failedCode}</code>
          </p>
          <button type="button" className="button" onClick={dismiss}>
            Dismiss
          </button>
        </Notice>
      )}
      {connectedId && list && (
        <Notice
          tone={connected ? "good" : "warn"}
          title={
            connected
              ? `${connected.name} is connected.`
              : "Amazon's authorization came back, but that account is not in your list."
          }
        >
          {connected && (
            <p>
              Enabled features:{" "}
              {connected.features.length > 0 ? connected.features.map(labelOf).join(", ") : "none"}.
            </p>
          )}
          <button type="button" className="button" onClick={dismiss}>
            Dismiss
          </button>
        </Notice>
      )}
      <section className="card" aria-labelledby="accounts-list-heading" aria-busy={accounts.loading}>
        <h2 id="accounts-list-heading">Your seller accounts</h2>
        {accounts.result === null || !labelsReady ? (
          <Loading>Loading seller accounts…</Loading>
        ) : !accounts.result.ok ? (
          <ErrorNotice title="Could not load the seller accounts" error={accounts.result.error} />
        ) : !list || list.length === 0 ? (
          <p className="muted">You have no role on a seller account yet.</p>
        ) : (
          <AccountTable accounts={list} labelOf={labelOf} mayConnect={mayConnect} />
        )}
      </section>
      <section className="card" aria-labelledby="connect-heading">
        <h2 id="connect-heading">Connect a seller account</h2>
        {!mayConnect ? (
          <p className="muted" data-testid="connect-not-allowed">
            Only an owner of a seller account or an instance administrator can connect seller accounts. Ask
            one of them to connect the account and invite you.
          </p>
        ) : features.result === null ? (
          <Loading>Loading features…</Loading>
        ) : !features.result.ok ? (
          <ErrorNotice title="Could not load the features" error={features.result.error} />
        ) : (
          <ConnectForm
            features={features.result.data}
            demo={meta.result?.ok === true && meta.result.data.mode === "demo"}
          />
        )}
      </section>
    </article>
  );
}
