import { type FormEvent, useCallback, useState } from "react";
import { type AuditFilters, type AuditVerification, audit } from "../admin-api";
import { Badge, ErrorNotice, Loading, PageHeader, Time } from "../components";
import { Field, FormError, Notice } from "../forms";
import { useAction, useResource } from "../useResource";

const PAGE_SIZE = 50;

/** datetime-local values are local time without a zone; the API wants an instant. */
function toInstant(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function VerifyResult({ result }: { result: AuditVerification }) {
  if (result.valid) {
    return (
      <Notice tone="good" title="The audit chain is intact.">
        <p>
          {result.checkedEntries !== null ? `${result.checkedEntries} entries checked: ` : ""}no entry was
          altered, deleted, inserted or reordered, and the signed checkpoints hold.
        </p>
      </Notice>
    );
  }
  return (
    <Notice tone="warn" title="The audit chain failed verification.">
      <p>
        {result.problem ? (
          <>
            First problem: <strong>{result.problem.kind}</strong>
            {result.problem.seq !== null ? ` at entry ${result.problem.seq}` : ""}. {result.problem.message}
          </>
        ) : (
          "The server did not say where."
        )}
      </p>
    </Notice>
  );
}

export function AuditLogPage() {
  const [draft, setDraft] = useState({ since: "", until: "", action: "", actor: "" });
  const [filters, setFilters] = useState<AuditFilters>({});
  // The cursors of the pages before the current one, so "Previous" can go back.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useResource(
    useCallback((signal: AbortSignal) => audit.page(filters, cursor, PAGE_SIZE, signal), [filters, cursor]),
  );
  const [verification, setVerification] = useState<AuditVerification | null>(null);
  const verify = useAction();

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next: AuditFilters = {};
    const since = toInstant(draft.since);
    const until = toInstant(draft.until);
    if (since) next.since = since;
    if (until) next.until = until;
    if (draft.action.trim()) next.action = draft.action.trim();
    if (draft.actor.trim()) next.actor = draft.actor.trim();
    setFilters(next);
    setCursors([null]);
  };

  const runVerify = async () => {
    setVerification(null);
    const result = await verify.run(() => audit.verify());
    if (result) setVerification(result);
  };

  const set = (key: keyof typeof draft) => (value: string) => setDraft((d) => ({ ...d, [key]: value }));
  const nextCursor = page.result?.ok ? page.result.data.nextCursor : null;

  return (
    <article className="page page-wide">
      <PageHeader
        title="Audit log"
        lead="Append-only record of security-relevant actions, chained by SHA-256 and signed at checkpoints."
      >
        <button type="button" className="button" onClick={() => void runVerify()} disabled={verify.busy}>
          {verify.busy ? "Verifying…" : "Verify chain"}
        </button>
      </PageHeader>
      {verification && <VerifyResult result={verification} />}
      <FormError error={verify.error} />
      <form className="card form" onSubmit={apply} aria-labelledby="filters-heading">
        <h2 id="filters-heading">Filters</h2>
        <div className="form-grid">
          <Field label="Since" type="datetime-local" value={draft.since} onChange={set("since")} />
          <Field label="Until" type="datetime-local" value={draft.until} onChange={set("until")} />
          <Field
            label="Action"
            maxLength={100}
            value={draft.action}
            onChange={set("action")}
            placeholder="e.g. session.start"
            hint="Exact action name."
          />
          <Field
            label="Actor"
            maxLength={200}
            value={draft.actor}
            onChange={set("actor")}
            placeholder="e.g. user:…"
            hint="Exact actor, as shown in the list."
          />
        </div>
        <div className="button-row">
          <button type="submit" className="button button-primary">
            Apply filters
          </button>
        </div>
      </form>
      <section className="card" aria-labelledby="entries-heading" aria-busy={page.loading}>
        <h2 id="entries-heading">Entries</h2>
        {page.result === null ? (
          <Loading>Loading entries…</Loading>
        ) : !page.result.ok ? (
          <ErrorNotice title="Could not load the audit log" error={page.result.error} />
        ) : page.result.data.entries.length === 0 ? (
          <p className="muted">No entries match these filters.</p>
        ) : (
          <table className="data-table data-table-compact">
            <caption className="visually-hidden">Audit entries</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Outcome</th>
                <th scope="col">Targets</th>
              </tr>
            </thead>
            <tbody>
              {page.result.data.entries.map((entry) => (
                <tr key={entry.id}>
                  <td>{entry.seq}</td>
                  <td>
                    <Time value={entry.at} />
                  </td>
                  <td>
                    <code>{entry.actor}</code>
                  </td>
                  <th scope="row">
                    <code>{entry.action}</code>
                  </th>
                  <td>
                    <Badge
                      tone={
                        entry.outcome === "success" ? "good" : entry.outcome === "denied" ? "bad" : "neutral"
                      }
                    >
                      {entry.outcome}
                    </Badge>
                    {entry.reason && <div className="muted">{entry.reason}</div>}
                  </td>
                  <td>
                    {Object.entries(entry.target).map(([key, value]) => (
                      <div key={key}>
                        <span className="muted">{key}:</span> <code>{value}</code>
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div className="button-row">
          <button
            type="button"
            className="button"
            disabled={cursors.length <= 1 || page.loading}
            onClick={() => setCursors((c) => c.slice(0, -1))}
          >
            Previous page
          </button>
          <button
            type="button"
            className="button"
            disabled={!nextCursor || page.loading}
            onClick={() => setCursors((c) => [...c, nextCursor])}
          >
            Next page
          </button>
        </div>
      </section>
    </article>
  );
}
