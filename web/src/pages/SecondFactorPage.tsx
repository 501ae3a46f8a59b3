import { type FormEvent, useState } from "react";
import type { Result } from "../api";
import { PageHeader } from "../components";
import { flowState } from "../flow-state";
import { Field, FormError } from "../forms";
import { auth, type FlowStep, type MfaMethod } from "../identity-api";
import { continueSignIn, useSession } from "../session";
import { useAction } from "../useResource";
import { getPasskey } from "../webauthn";

const ALL_METHODS: readonly MfaMethod[] = ["totp", "recovery", "passkey"];

export function SecondFactorPage() {
  const session = useSession();
  const offered = session.info.methods ?? (flowState.methods.length > 0 ? flowState.methods : ALL_METHODS);
  const [mode, setMode] = useState<"totp" | "recovery">(
    offered.includes("totp") || !offered.includes("recovery") ? "totp" : "recovery",
  );
  const [code, setCode] = useState("");
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = code.replace(/\s+/g, "");
    const step = await action.run(() => (mode === "totp" ? auth.totp(trimmed) : auth.recovery(code.trim())));
    setCode("");
    if (step) await continueSignIn(session, step.next);
  };

  const signInWithPasskey = async () => {
    const step = await action.run(async (): Promise<Result<FlowStep>> => {
      const options = await auth.passkeyOptions();
      if (!options.ok) return { ok: false, error: options.error };
      const credential = await getPasskey(options.data);
      if (!credential.ok) return { ok: false, error: { code: credential.code, message: credential.code } };
      return auth.passkey(credential.json);
    });
    if (step) await continueSignIn(session, step.next);
  };

  const switchTo = (next: "totp" | "recovery") => {
    setMode(next);
    setCode("");
    action.setError(null);
  };

  return (
    <article className="page page-narrow">
      <PageHeader
        title="Second factor"
        lead="Confirm it is you with your second factor to finish signing in."
      />
      <form className="card form" onSubmit={(event) => void submit(event)}>
        <h2>{mode === "totp" ? "Authenticator app" : "Recovery code"}</h2>
        {mode === "totp" ? (
          <Field
            key="totp"
            label="6-digit code from your authenticator app"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9 ]{6,8}"
            required
            maxLength={8}
            value={code}
            onChange={setCode}
          />
        ) : (
          <Field
            key="recovery"
            label="Recovery code"
            autoComplete="off"
            spellCheck={false}
            required
            maxLength={64}
            value={code}
            onChange={setCode}
            hint="Each recovery code works once."
          />
        )}
        <FormError error={action.error} />
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={action.busy}>
            {action.busy ? "Checking…" : "Verify"}
          </button>
        </div>
      </form>
      <section className="card" aria-labelledby="other-methods">
        <h2 id="other-methods">Other ways to verify</h2>
        <div className="button-row">
          {mode === "totp" && offered.includes("recovery") && (
            <button type="button" className="button" onClick={() => switchTo("recovery")}>
              Use a recovery code
            </button>
          )}
          {mode === "recovery" && offered.includes("totp") && (
            <button type="button" className="button" onClick={() => switchTo("totp")}>
              Use the authenticator app
            </button>
          )}
          {offered.includes("passkey") && (
            <button
              type="button"
              className="button"
              onClick={() => void signInWithPasskey()}
              disabled={action.busy}
            >
              Use a passkey
            </button>
          )}
        </div>
      </section>
    </article>
  );
}
