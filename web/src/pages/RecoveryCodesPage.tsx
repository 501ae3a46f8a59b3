import { useState } from "react";
import { PageHeader } from "../components";
import { flowState } from "../flow-state";
import { Notice, RecoveryCodeList } from "../forms";
import { continueSignIn, useSession } from "../session";

export function RecoveryCodesPage() {
  const session = useSession();
  // Read once; the codes leave memory when the person continues (they are never stored in the browser).
  const [codes] = useState(() => flowState.recoveryCodes);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const proceed = async () => {
    setBusy(true);
    flowState.recoveryCodes = null;
    const next = flowState.afterCodes;
    flowState.afterCodes = "done";
    await continueSignIn(session, next);
  };

  return (
    <article className="page page-narrow">
      <PageHeader
        title="Recovery codes"
        lead="If you lose your authenticator, each of these codes signs you in once. Store them somewhere safe, such as a password manager."
      />
      {codes ? (
        <section className="card" aria-labelledby="codes-heading">
          <h2 id="codes-heading">Your recovery codes</h2>
          <Notice tone="warn" title="These codes are shown only once.">
            <p>
              Seller Pilot stores them hashed and cannot show them again. You can make new ones later under
              Security.
            </p>
          </Notice>
          <RecoveryCodeList codes={codes} />
          <label className="checkbox">
            <input type="checkbox" checked={saved} onChange={(event) => setSaved(event.target.checked)} />I
            have saved my recovery codes
          </label>
          <div className="button-row">
            <button
              type="button"
              className="button button-primary"
              disabled={!saved || busy}
              onClick={() => void proceed()}
            >
              Continue
            </button>
          </div>
        </section>
      ) : (
        <section className="card">
          <Notice tone="info" title="The recovery codes are no longer shown.">
            <p>
              They are shown once, right after setup. Make new ones under Security if you did not save them.
            </p>
          </Notice>
          <div className="button-row">
            <button
              type="button"
              className="button button-primary"
              onClick={() => void proceed()}
              disabled={busy}
            >
              Continue
            </button>
          </div>
        </section>
      )}
    </article>
  );
}
