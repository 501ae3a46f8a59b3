import { type FormEvent, useCallback, useState } from "react";
import type { Result } from "../api";
import { ErrorNotice, Loading, PageHeader, Time } from "../components";
import { flowState } from "../flow-state";
import { Field, FormError, Notice, RecoveryCodeList } from "../forms";
import { auth } from "../identity-api";
import { PasswordChangeForm } from "../password-form";
import { navigate } from "../router";
import { useSession } from "../session";
import { useAction, useResource } from "../useResource";
import { createPasskey } from "../webauthn";

function PasskeysSection() {
  const passkeys = useResource(useCallback((signal: AbortSignal) => auth.listPasskeys(signal), []));
  const [name, setName] = useState("");
  const [added, setAdded] = useState(false);
  const action = useAction();

  const register = async (event: FormEvent) => {
    event.preventDefault();
    setAdded(false);
    const done = await action.run(async (): Promise<Result<Record<string, unknown>>> => {
      const options = await auth.passkeyRegistrationOptions();
      if (!options.ok) return { ok: false, error: options.error };
      const credential = await createPasskey(options.data);
      if (!credential.ok) return { ok: false, error: { code: credential.code, message: credential.code } };
      return auth.registerPasskey(credential.json, name.trim());
    });
    if (done) {
      setName("");
      setAdded(true);
      passkeys.reload();
    }
  };

  const remove = async (id: string) => {
    if (await action.run(() => auth.deletePasskey(id))) passkeys.reload();
  };

  return (
    <section className="card" aria-labelledby="passkeys-heading">
      <h2 id="passkeys-heading">Passkeys</h2>
      <p className="muted">
        A passkey (device or security key) can replace the authenticator code at sign-in.
      </p>
      {passkeys.result === null ? (
        <Loading>Loading passkeys…</Loading>
      ) : !passkeys.result.ok ? (
        <ErrorNotice title="Could not load your passkeys" error={passkeys.result.error} />
      ) : passkeys.result.data.length === 0 ? (
        <p>No passkey registered yet.</p>
      ) : (
        <ul className="item-list">
          {passkeys.result.data.map((key) => (
            <li key={key.id}>
              <span>
                {key.name || "Passkey"} · added <Time value={key.createdAt} /> · last used{" "}
                <Time value={key.lastUsedAt} />
              </span>
              <button
                type="button"
                className="button button-danger"
                onClick={() => void remove(key.id)}
                disabled={action.busy}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="form form-inline" onSubmit={(event) => void register(event)}>
        <Field
          label="Name for the new passkey"
          maxLength={64}
          value={name}
          onChange={setName}
          placeholder="e.g. Work laptop"
        />
        <button type="submit" className="button" disabled={action.busy}>
          Register a passkey
        </button>
      </form>
      {added && <Notice tone="good" title="The passkey was registered." />}
      <FormError error={action.error} />
    </section>
  );
}

function RecoveryCodesSection() {
  const [confirming, setConfirming] = useState(false);
  const [codes, setCodes] = useState<string[] | null>(null);
  const action = useAction();

  const regenerate = async () => {
    const fresh = await action.run(() => auth.regenerateRecoveryCodes());
    setConfirming(false);
    if (fresh) setCodes(fresh);
  };

  return (
    <section className="card" aria-labelledby="recovery-heading">
      <h2 id="recovery-heading">Recovery codes</h2>
      {codes ? (
        <>
          <Notice tone="warn" title="New codes: shown only once. Your old codes no longer work." />
          <RecoveryCodeList codes={codes} />
        </>
      ) : (
        <p className="muted">Making new recovery codes invalidates every code you have now.</p>
      )}
      <div className="button-row">
        {confirming ? (
          <>
            <button
              type="button"
              className="button button-danger"
              onClick={() => void regenerate()}
              disabled={action.busy}
            >
              Yes, replace my recovery codes
            </button>
            <button type="button" className="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </>
        ) : (
          <button type="button" className="button" onClick={() => setConfirming(true)}>
            Make new recovery codes
          </button>
        )}
      </div>
      <FormError error={action.error} />
    </section>
  );
}

function SessionsSection() {
  const session = useSession();
  const action = useAction();
  const leave = async (everywhere: boolean) => {
    const done = await action.run(() => (everywhere ? auth.signOutEverywhere() : auth.signOut()));
    if (done === null) return;
    session.clear();
    flowState.notice = everywhere ? "You are signed out on every device." : "You are signed out.";
    navigate("/sign-in");
  };
  return (
    <section className="card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions</h2>
      <p className="muted">
        "Sign out everywhere" ends every session of your user, on every device and browser.
      </p>
      <div className="button-row">
        <button type="button" className="button" onClick={() => void leave(false)} disabled={action.busy}>
          Sign out
        </button>
        <button
          type="button"
          className="button button-danger"
          onClick={() => void leave(true)}
          disabled={action.busy}
        >
          Sign out everywhere
        </button>
      </div>
      <FormError error={action.error} />
    </section>
  );
}

export function SecurityPage() {
  const session = useSession();
  const [changed, setChanged] = useState(false);
  const user = session.info.user;
  return (
    <article className="page">
      <PageHeader
        title="Security"
        lead={user ? `Password, second factors and sessions of ${user.email}.` : undefined}
      />
      <section className="card" aria-labelledby="password-heading">
        <h2 id="password-heading">Password</h2>
        {changed && <Notice tone="good" title="Your password was changed." />}
        <PasswordChangeForm submitLabel="Change password" onChanged={() => setChanged(true)} />
      </section>
      <PasskeysSection />
      <RecoveryCodesSection />
      <SessionsSection />
    </article>
  );
}
