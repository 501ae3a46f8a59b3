import { type FormEvent, useState } from "react";
import { Field, FormError, PasswordRules } from "./forms";
import { auth } from "./identity-api";
import { useSession } from "./session";
import { useAction } from "./useResource";

/** Current + new password (typed twice), with the policy rules live and each refused rule by its code. */
export function PasswordChangeForm({
  onChanged,
  submitLabel,
}: {
  onChanged: () => void | Promise<void>;
  submitLabel: string;
}) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const action = useAction();
  const session = useSession();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (next !== repeat) {
      action.setError({ code: "PASSWORD_MISMATCH", message: "The two new passwords do not match." });
      return;
    }
    const done = await action.run(() => auth.changePassword(current, next));
    if (done === null) return;
    setCurrent("");
    setNext("");
    setRepeat("");
    // The change rotated the session (new cookie, new CSRF token): read it before the next write.
    await session.refresh();
    await onChanged();
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)}>
      <Field
        label="Current password"
        type="password"
        autoComplete="current-password"
        required
        maxLength={512}
        value={current}
        onChange={setCurrent}
      />
      <Field
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        maxLength={512}
        value={next}
        onChange={setNext}
      />
      <Field
        label="Repeat the new password"
        type="password"
        autoComplete="new-password"
        required
        maxLength={512}
        value={repeat}
        onChange={setRepeat}
      />
      <PasswordRules password={next} error={action.error} />
      <FormError error={action.error} />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={action.busy}>
          {action.busy ? "Saving…" : submitLabel}
        </button>
      </div>
    </form>
  );
}
