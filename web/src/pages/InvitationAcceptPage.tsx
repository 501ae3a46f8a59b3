import { type FormEvent, useState } from "react";
import { PageHeader } from "../components";
import { flowState } from "../flow-state";
import { Field, FormError, Notice, PasswordRules } from "../forms";
import { auth } from "../identity-api";
import { Link, navigate } from "../router";
import { continueSignIn, useSession } from "../session";
import { useAction } from "../useResource";

export function InvitationAcceptPage() {
  const session = useSession();
  const [token] = useState(() => new URLSearchParams(window.location.search).get("token") ?? "");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== repeat) {
      action.setError({ code: "PASSWORD_MISMATCH", message: "The two passwords do not match." });
      return;
    }
    const step = await action.run(() => auth.acceptInvitation(token, name.trim(), password));
    if (!step) return;
    setPassword("");
    setRepeat("");
    flowState.returnTo = "/dashboard";
    if (step.next === "sign_in") {
      // An existing user keeps their password; if they are signed in here already, the new role shows at once.
      const info = await session.refresh();
      if (info.signedIn) {
        navigate("/dashboard", { replace: true });
      } else {
        flowState.notice = "Invitation accepted. Sign in with the password you already have.";
        navigate("/sign-in", { replace: true });
      }
      return;
    }
    await continueSignIn(session, step.next);
  };

  if (token === "") {
    return (
      <article className="page page-narrow">
        <PageHeader title="Accept invitation" />
        <Notice tone="warn" title="This address has no invitation token.">
          <p>
            Open the complete link from your invitation. Already have a user?{" "}
            <Link to="/sign-in">Sign in</Link>.
          </p>
        </Notice>
      </article>
    );
  }

  return (
    <article className="page page-narrow">
      <PageHeader
        title="Accept invitation"
        lead="Choose your name and a password. Next you set up an authenticator app, which every sign-in needs."
      />
      <form className="card form" onSubmit={(event) => void submit(event)}>
        <Field
          label="Your full name"
          autoComplete="name"
          required
          maxLength={200}
          value={name}
          onChange={setName}
        />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          maxLength={512}
          value={password}
          onChange={setPassword}
        />
        <Field
          label="Repeat the password"
          type="password"
          autoComplete="new-password"
          required
          maxLength={512}
          value={repeat}
          onChange={setRepeat}
        />
        <PasswordRules password={password} error={action.error} />
        <FormError error={action.error} />
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={action.busy}>
            {action.busy ? "Creating your user…" : "Accept and continue"}
          </button>
        </div>
      </form>
    </article>
  );
}
