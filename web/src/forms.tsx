// Form building blocks: labelled fields, error notices keyed by the API's error codes, password rules.
import { type InputHTMLAttributes, type ReactNode, useId, useState } from "react";
import type { ApiError } from "./api";
import { messageFor, PASSWORD_RULES, ruleMessage, violationsOf } from "./messages";
import { Link } from "./router";

const SESSION_LOST: ReadonlySet<string> = new Set(["SESSION_INVALID", "SESSION_EXPIRED"]);

export interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "onChange"> {
  label: string;
  value: string;
  onChange: (value: string) => void;
  hint?: ReactNode;
}

export function Field({ label, value, onChange, hint, ...input }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-describedby={hint ? hintId : undefined}
        {...input}
      />
      {hint && (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** The error of a form: a clear sentence for its code, with the code and request id for support. */
export function FormError({ error }: { error: ApiError | null }) {
  if (!error) return null;
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{messageFor(error)}</p>
      {SESSION_LOST.has(error.code) && (
        <p>
          <Link to="/sign-in">Sign in again</Link>
        </p>
      )}
      <p className="notice-meta">
        <span>
          Error code <code>{error.code}</code>
        </span>
        {error.requestId && (
          <span>
            Request ID <code>{error.requestId}</code>
          </span>
        )}
      </p>
    </div>
  );
}

export function Notice({
  tone,
  title,
  children,
}: {
  tone: "info" | "good" | "warn";
  title: string;
  children?: ReactNode;
}) {
  return (
    <div className={`notice notice-${tone}`} role={tone === "warn" ? "alert" : "status"}>
      <p className="notice-title">{title}</p>
      {children}
    </div>
  );
}

/**
 * The password policy, live: each rule shows whether the typed password meets it; rules the server
 * reported (by code) are marked as failed with their message.
 */
export function PasswordRules({ password, error }: { password: string; error: ApiError | null }) {
  const failed = new Set(error ? violationsOf(error) : []);
  const titleId = useId();
  return (
    <div className="password-rules">
      <p id={titleId}>The new password needs:</p>
      <ul aria-labelledby={titleId}>
        {PASSWORD_RULES.map((rule) => {
          const met = rule.test ? rule.test(password) : undefined;
          const state = failed.has(rule.code)
            ? "failed"
            : met === true
              ? "met"
              : met === false
                ? "unmet"
                : "info";
          return (
            <li key={rule.code} className={`rule rule-${state}`} data-code={rule.code}>
              <span className="visually-hidden">
                {state === "failed" ? "Not met: " : state === "met" ? "Met: " : ""}
              </span>
              {ruleMessage(rule.code)}
              {state === "failed" && <code className="rule-code">{rule.code}</code>}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState<"idle" | "done" | "failed">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("done");
    } catch {
      setCopied("failed");
    }
  };
  return (
    <button type="button" className="button" onClick={() => void copy()}>
      {copied === "done" ? "Copied" : copied === "failed" ? "Copy failed: select the text" : label}
    </button>
  );
}

/** Offers text as a file download (a Blob URL: allowed by the CSP, nothing leaves the browser). */
export function DownloadButton({ text, filename, label }: { text: string; filename: string; label: string }) {
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    const anchor = document.createElement("a");
    anchor.href = url;
    anchor.download = filename;
    anchor.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };
  return (
    <button type="button" className="button" onClick={download}>
      {label}
    </button>
  );
}

export function RecoveryCodeList({ codes }: { codes: readonly string[] }) {
  const text = `Seller Pilot recovery codes (each works once)\n\n${codes.join("\n")}\n`;
  return (
    <div className="recovery-codes">
      <ol className="code-grid" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="button-row">
        <CopyButton text={codes.join("\n")} label="Copy codes" />
        <DownloadButton text={text} filename="seller-pilot-recovery-codes.txt" label="Download codes" />
      </div>
    </div>
  );
}
