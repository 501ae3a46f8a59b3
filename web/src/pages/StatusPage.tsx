import { fetchMeta, fetchReadiness, type Meta, type Readiness, type ReadinessCheck, safeHref } from "../api";
import { Badge, ErrorNotice, Loading } from "../components";
import { useResource } from "../useResource";

const CHECK_LABELS: Record<string, string> = {
  database: "Database",
  migrations: "Migrations",
};

const STORE_LABELS: Record<string, string> = {
  sqlite: "SQLite (embedded)",
  postgres: "PostgreSQL",
};

function humanize(name: string): string {
  const spaced = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.map(formatValue).join(", ");
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  if (value === null || value === undefined) return "—";
  return JSON.stringify(value);
}

function describeCheck(check: ReadinessCheck): string {
  const { details } = check;
  if (check.name === "database" && typeof details.store === "string") {
    return `Store: ${STORE_LABELS[details.store] ?? details.store}`;
  }
  if (check.name === "migrations" && typeof details.applied === "number" && Array.isArray(details.pending)) {
    const applied = `${details.applied} applied`;
    const pending = details.pending.filter((item): item is string => typeof item === "string");
    return pending.length === 0
      ? `${applied}, none pending`
      : `${applied}, ${pending.length} pending: ${pending.join(", ")}`;
  }
  const entries = Object.entries(details);
  if (entries.length === 0) return "—";
  return entries.map(([key, value]) => `${humanize(key)}: ${formatValue(value)}`).join("; ");
}

function formatTime(date: Date | null): string {
  return date
    ? date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    : "";
}

function ReadinessView({ readiness }: { readiness: Readiness }) {
  const ready = readiness.status === "ready";
  return (
    <>
      <p className="readiness-summary">
        <Badge tone={ready ? "good" : "bad"}>{ready ? "Ready" : "Not ready"}</Badge>
        <span>
          {ready
            ? "This instance is ready to serve requests."
            : "This instance is not ready: see the failing checks below."}
        </span>
      </p>
      {readiness.checks.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Readiness checks</caption>
          <thead>
            <tr>
              <th scope="col">Check</th>
              <th scope="col">Result</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {readiness.checks.map((check) => (
              <tr key={check.name}>
                <th scope="row">{CHECK_LABELS[check.name] ?? humanize(check.name)}</th>
                <td>
                  <Badge tone={check.ok ? "good" : "bad"}>{check.ok ? "OK" : "Failing"}</Badge>
                </td>
                <td>{describeCheck(check)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function ContactLink({ contact }: { contact: string }) {
  const href = safeHref(contact);
  const text = contact.startsWith("mailto:") ? contact.slice("mailto:".length) : contact;
  return href ? <a href={href}>{text}</a> : <span>{text}</span>;
}

function ResourceLink({ path, children }: { path: string | undefined; children: string }) {
  const href = path ? safeHref(path) : null;
  if (!href) return null;
  return (
    <li>
      <a href={href}>{children}</a> <code>{path}</code>
    </li>
  );
}

function InstanceView({ meta }: { meta: Meta }) {
  const links = [meta.docs.openapi, meta.docs.securityTxt].filter(Boolean);
  return (
    <dl className="facts">
      <div>
        <dt>Product</dt>
        <dd>{meta.product}</dd>
      </div>
      <div>
        <dt>Version</dt>
        <dd>
          <code className="version">{meta.version}</code>
        </dd>
      </div>
      <div>
        <dt>Mode</dt>
        <dd>
          <Badge tone="neutral">{meta.mode === "demo" ? "Demo" : "Connected"}</Badge>{" "}
          <span className="muted">
            {meta.mode === "demo"
              ? "Runs against the built-in SP-API sandbox with demo seller accounts."
              : "Connected to the Amazon Selling Partner API."}
          </span>
        </dd>
      </div>
      <div>
        <dt>Security contact</dt>
        <dd>
          <ContactLink contact={meta.securityContact} />
        </dd>
      </div>
      {links.length > 0 && (
        <div>
          <dt>Machine-readable</dt>
          <dd>
            <ul className="plain-list">
              <ResourceLink path={meta.docs.openapi}>OpenAPI description</ResourceLink>
              <ResourceLink path={meta.docs.securityTxt}>security.txt</ResourceLink>
            </ul>
          </dd>
        </div>
      )}
    </dl>
  );
}

export function StatusPage() {
  const readiness = useResource(fetchReadiness);
  const meta = useResource(fetchMeta);
  const busy = readiness.loading || meta.loading;

  const refresh = () => {
    readiness.reload();
    meta.reload();
  };

  return (
    <article className="page">
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Status</h1>
          <p className="page-lead">
            Readiness and identity of this Seller Pilot instance, live from the server.
          </p>
        </div>
        <div className="page-actions">
          {readiness.updatedAt && (
            <span className="muted" aria-live="polite">
              Checked at{" "}
              <time dateTime={readiness.updatedAt.toISOString()}>{formatTime(readiness.updatedAt)}</time>
            </span>
          )}
          <button type="button" className="button" onClick={refresh} disabled={busy}>
            {busy ? "Refreshing…" : "Refresh"}
          </button>
        </div>
      </div>

      <section className="card" aria-labelledby="readiness-heading" aria-busy={readiness.loading}>
        <h2 id="readiness-heading">Readiness</h2>
        {readiness.result === null ? (
          <Loading>Checking readiness…</Loading>
        ) : readiness.result.ok ? (
          <ReadinessView readiness={readiness.result.data} />
        ) : (
          <ErrorNotice title="Could not check readiness" error={readiness.result.error} />
        )}
      </section>

      <section className="card" aria-labelledby="instance-heading" aria-busy={meta.loading}>
        <h2 id="instance-heading">Instance</h2>
        {meta.result === null ? (
          <Loading>Loading instance details…</Loading>
        ) : meta.result.ok ? (
          <InstanceView meta={meta.result.data} />
        ) : (
          <ErrorNotice title="Could not load instance details" error={meta.result.error} />
        )}
      </section>
    </article>
  );
}
