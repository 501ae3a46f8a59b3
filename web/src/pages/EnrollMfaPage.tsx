import { type FormEvent, useEffect, useRef, useState } from "react";
import type { ApiError } from "../api";
import { Loading, PageHeader } from "../components";
import { flowState } from "../flow-state";
import { CopyButton, Field, FormError } from "../forms";
import { auth, type TotpEnrollment } from "../identity-api";
import { navigate } from "../router";
import { continueSignIn, useSession } from "../session";
import { useAction } from "../useResource";

/**
 * The QR code is SVG markup made by the server. It is shown through an <img> with a data: URL: an image
 * cannot run script, and nothing is inserted into the DOM as HTML (img-src allows data:, the CSP stays strict).
 */
function svgDataUrl(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

function secretOf(uri: string): string | null {
  try {
    return new URL(uri).searchParams.get("secret");
  } catch {
    return null;
  }
}

/** Groups of four, as authenticator apps show them; spaces are ignored when typed in. */
function groupSecret(secret: string): string {
  return secret.replace(/(.{4})/g, "$1 ").trim();
}

export function EnrollMfaPage() {
  const [enrollment, setEnrollment] = useState<TotpEnrollment | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [code, setCode] = useState("");
  const started = useRef(false);
  const session = useSession();
  const action = useAction();

  useEffect(() => {
    // One secret per visit: a second POST would replace the secret the person is scanning.
    if (started.current) return;
    started.current = true;
    void auth.enrollTotp().then((result) => {
      if (result.ok) setEnrollment(result.data);
      else setLoadError(result.error);
    });
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const confirmed = await action.run(() => auth.confirmTotp(code.replace(/\s+/g, "")));
    setCode("");
    if (!confirmed) return;
    if (confirmed.recoveryCodes.length === 0) {
      await continueSignIn(session, confirmed.next);
      return;
    }
    flowState.recoveryCodes = confirmed.recoveryCodes;
    flowState.afterCodes = confirmed.next;
    navigate("/sign-in/recovery-codes", { replace: true });
  };

  const secret = enrollment ? secretOf(enrollment.otpauthUri) : null;

  return (
    <article className="page page-narrow">
      <PageHeader
        title="Set up two-factor authentication"
        lead="Seller Pilot needs a second factor for every sign-in. Add this account to an authenticator app (such as a password manager or an authenticator on your phone)."
      />
      {loadError ? (
        <FormError error={loadError} />
      ) : !enrollment ? (
        <Loading>Preparing your authenticator secret…</Loading>
      ) : (
        <>
          <section className="card" aria-labelledby="scan-heading">
            <h2 id="scan-heading">1. Scan the QR code</h2>
            <div className="enroll-grid">
              <img
                className="qr-code"
                src={svgDataUrl(enrollment.qrSvg)}
                alt="QR code for your authenticator app"
                width={200}
                height={200}
              />
              <div className="enroll-manual">
                <p>Cannot scan? Enter this secret in your app instead (time-based, 6 digits, 30 seconds):</p>
                {secret && (
                  <p>
                    <code className="secret" data-testid="totp-secret">
                      {groupSecret(secret)}
                    </code>
                  </p>
                )}
                <details>
                  <summary>Show the full setup link</summary>
                  <p>
                    <code className="otpauth-uri" data-testid="otpauth-uri">
                      {enrollment.otpauthUri}
                    </code>
                  </p>
                </details>
                <div className="button-row">{secret && <CopyButton text={secret} label="Copy secret" />}</div>
              </div>
            </div>
          </section>
          <form
            className="card form"
            onSubmit={(event) => void submit(event)}
            aria-labelledby="confirm-heading"
          >
            <h2 id="confirm-heading">2. Enter the code your app shows</h2>
            <Field
              label="6-digit code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9 ]{6,8}"
              required
              maxLength={8}
              value={code}
              onChange={setCode}
            />
            <FormError error={action.error} />
            <div className="button-row">
              <button type="submit" className="button button-primary" disabled={action.busy}>
                {action.busy ? "Checking…" : "Confirm and continue"}
              </button>
            </div>
          </form>
        </>
      )}
    </article>
  );
}
