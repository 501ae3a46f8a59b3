import { type FormEvent, useState } from "react";
import { PageHeader } from "../components";
import { flowState } from "../flow-state";
import { Field, FormError, Notice } from "../forms";
import { auth } from "../identity-api";
import { Link } from "../router";
import { continueSignIn, returnPath, useSession } from "../session";
import { useAction } from "../useResource";

export function SignInPage() {
  const session = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [notice] = useState(() => flowState.notice);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const step = await action.run(() => auth.signIn(email.trim(), password));
    if (!step) return;
    setPassword("");
    flowState.notice = null;
    flowState.methods = step.methods;
    flowState.returnTo = returnPath();
    await continueSignIn(session, step.next);
  };

  return (
    <article className="page page-narrow">
      <PageHeader title="Sign in" lead="Sign in to Seller Pilot with your e-mail address and password." />
      {notice && <Notice tone="info" title={notice} />}
      <form className="card form" onSubmit={(event) => void submit(event)} aria-labelledby="sign-in-form">
        <h2 id="sign-in-form" className="visually-hidden">
          Sign-in form
        </h2>
        <Field
          label="E-mail address"
          type="email"
          autoComplete="username"
          required
          maxLength={254}
          value={email}
          onChange={setEmail}
        />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          maxLength={512}
          value={password}
          onChange={setPassword}
        />
        <FormError error={action.error} />
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={action.busy}>
            {action.busy ? "Signing in…" : "Sign in"}
          </button>
        </div>
        <p className="muted">
          Every sign-in needs a second factor (authenticator app, recovery code or passkey). Invited? Open the
          link from your invitation; it leads to <Link to="/enroll">accepting the invitation</Link>.
        </p>
      </form>
    </article>
  );
}
