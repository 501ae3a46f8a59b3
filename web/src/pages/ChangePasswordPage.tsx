import { PageHeader } from "../components";
import { PasswordChangeForm } from "../password-form";
import { continueSignIn, useSession } from "../session";

export function ChangePasswordPage() {
  const session = useSession();
  return (
    <article className="page page-narrow">
      <PageHeader
        title="Change your password"
        lead="Your password has to be changed before you continue (passwords expire after 365 days, or an administrator asked for a new one)."
      />
      <section className="card">
        <PasswordChangeForm
          submitLabel="Change password and continue"
          onChanged={() => continueSignIn(session, "done")}
        />
      </section>
    </article>
  );
}
