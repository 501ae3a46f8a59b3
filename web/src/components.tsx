import type { ReactNode } from "react";
import type { ApiError } from "./api";

export function ErrorNotice({ title, error }: { title: string; error: ApiError }) {
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{title}</p>
      <p>{error.message}</p>
      <dl className="notice-meta">
        <div>
          <dt>Error code</dt>
          <dd>
            <code>{error.code}</code>
          </dd>
        </div>
        {error.status !== undefined && (
          <div>
            <dt>HTTP status</dt>
            <dd>{error.status}</dd>
          </div>
        )}
        {error.requestId !== undefined && (
          <div>
            <dt>Request ID</dt>
            <dd>
              <code>{error.requestId}</code>
            </dd>
          </div>
        )}
      </dl>
    </div>
  );
}

export function Loading({ children }: { children: ReactNode }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {children}
    </p>
  );
}

export type Tone = "good" | "bad" | "neutral";

export function Badge({ tone, children }: { tone: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function PageHeader({
  title,
  lead,
  children,
}: {
  title: string;
  lead?: ReactNode;
  children?: ReactNode;
}) {
  return (
    <div className="page-header">
      <div>
        <h1 tabIndex={-1}>{title}</h1>
        {lead && <p className="page-lead">{lead}</p>}
      </div>
      {children && <div className="page-actions">{children}</div>}
    </div>
  );
}

/** Dates from the API are ISO strings; show them in the reader's locale, keep the exact value in the markup. */
export function Time({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="muted">—</span>;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return <span>{value}</span>;
  return (
    <time dateTime={value}>
      {date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}
    </time>
  );
}
