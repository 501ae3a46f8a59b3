import { useCallback, useEffect, useState } from "react";
import { AccountPicker, initialAccount } from "../account-picker";
import { getJson, isRecord, type Result, requestJson, type Validator } from "../api";
import { Badge, ErrorNotice, Loading, PageHeader, Time, type Tone } from "../components";
import { FormError, Notice } from "../forms";
import { navigate } from "../router";
import { accountsWith, useSession } from "../session";
import { useAction, useResource } from "../useResource";

const STATES = [
  "detected",
  "triaged",
  "contained",
  "eradicated",
  "recovered",
  "post_incident_review",
  "closed",
] as const;

interface Incident {
  id: string;
  rule: string;
  severity: string;
  state: string;
  title: string;
  summary: string;
  pointOfContact: string;
  detectedAt: string;
  deadlineAt: string;
  notifiedAt: string | null;
  escalatedAt: string | null;
}

interface TimelineEvent {
  seq: number;
  at: string;
  kind: string;
  actor: string;
  detail: string;
}

interface Detail {
  incident: Incident;
  timeline: TimelineEvent[];
  evidenceCount: number;
  evidenceValid: boolean;
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

function toIncident(v: unknown): Incident | null {
  if (!isRecord(v)) return null;
  const fields = [
    "id",
    "rule",
    "severity",
    "state",
    "title",
    "summary",
    "pointOfContact",
    "detectedAt",
    "deadlineAt",
  ];
  if (!fields.every((f) => typeof v[f] === "string")) return null;
  return {
    ...(v as unknown as Incident),
    notifiedAt: str(v.notifiedAt),
    escalatedAt: str(v.escalatedAt),
  };
}

const listValidator: Validator<Incident[]> = (v) => {
  if (!isRecord(v) || !Array.isArray(v.incidents)) return null;
  const items = v.incidents.map(toIncident);
  return items.every((i) => i !== null) ? (items as Incident[]) : null;
};

const detailValidator: Validator<Detail> = (v) => {
  if (!isRecord(v) || !Array.isArray(v.timeline) || !Array.isArray(v.evidence) || !isRecord(v.evidenceCheck))
    return null;
  const incident = toIncident(v.incident);
  if (!incident) return null;
  return {
    incident,
    timeline: v.timeline.filter(isRecord).map((e) => ({
      seq: Number(e.seq),
      at: String(e.at),
      kind: String(e.kind),
      actor: String(e.actor),
      detail: String(e.detail),
    })),
    evidenceCount: v.evidence.length,
    evidenceValid: v.evidenceCheck.valid === true,
  };
};

const base = (accountId: string) => `/api/accounts/${encodeURIComponent(accountId)}/incidents`;

const api = {
  list: (accountId: string, signal: AbortSignal): Promise<Result<Incident[]>> =>
    getJson(base(accountId), listValidator, { signal }),
  show: (accountId: string, id: string, signal: AbortSignal): Promise<Result<Detail>> =>
    getJson(`${base(accountId)}/${encodeURIComponent(id)}`, detailValidator, { signal }),
  transition: (accountId: string, id: string, state: string) =>
    requestJson("POST", `${base(accountId)}/${encodeURIComponent(id)}/transition`, () => true, {
      body: { state },
    }),
  notified: (accountId: string, id: string) =>
    requestJson("POST", `${base(accountId)}/${encodeURIComponent(id)}/notified`, () => true),
};

/** Re-renders every 30 s so countdowns move without a reload. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function Countdown({ incident, now }: { incident: Incident; now: number }) {
  if (incident.notifiedAt) return <Badge tone="good">Amazon notified</Badge>;
  const ms = Date.parse(incident.deadlineAt) - now;
  if (ms <= 0) return <Badge tone="bad">Notice overdue</Badge>;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const tone: Tone = ms <= 4 * 3_600_000 ? "bad" : "neutral";
  return (
    <Badge tone={tone}>
      {h} h {String(m).padStart(2, "0")} min to notify
    </Badge>
  );
}

function severityTone(severity: string): Tone {
  return severity === "critical" || severity === "high" ? "bad" : "neutral";
}

function IncidentDetail({
  accountId,
  id,
  canManage,
  onChange,
}: {
  accountId: string;
  id: string;
  canManage: boolean;
  onChange: () => void;
}) {
  const detail = useResource(
    useCallback((signal: AbortSignal) => api.show(accountId, id, signal), [accountId, id]),
  );
  const action = useAction();
  const now = useNow();
  if (detail.result === null) return <Loading>Loading the incident…</Loading>;
  if (!detail.result.ok)
    return <ErrorNotice title="Could not load the incident" error={detail.result.error} />;
  const { incident, timeline, evidenceCount, evidenceValid } = detail.result.data;
  const next = STATES.slice(STATES.indexOf(incident.state as (typeof STATES)[number]) + 1);
  const act = async (run: () => Promise<Result<unknown>>) => {
    if (await action.run(run)) {
      detail.reload();
      onChange();
    }
  };
  return (
    <section className="card" aria-labelledby="incident-heading">
      <h2 id="incident-heading">{incident.title}</h2>
      <p>
        <Badge tone={severityTone(incident.severity)}>{incident.severity}</Badge>{" "}
        <Badge tone="neutral">{incident.state.replaceAll("_", " ")}</Badge>{" "}
        <Countdown incident={incident} now={now} />
      </p>
      <p>{incident.summary}</p>
      <p className="muted">
        Detected <Time value={incident.detectedAt} />; notice deadline <Time value={incident.deadlineAt} />.
        Point of contact: {incident.pointOfContact}. Evidence notes: {evidenceCount}
        {evidenceCount > 0 && (evidenceValid ? " (hash chain intact)" : " (HASH CHAIN BROKEN)")}.
      </p>
      {canManage && (
        <div className="button-row">
          {next.map((state) => (
            <button
              key={state}
              type="button"
              className="button"
              disabled={action.busy}
              onClick={() => void act(() => api.transition(accountId, incident.id, state))}
            >
              Move to {state.replaceAll("_", " ")}
            </button>
          ))}
          {!incident.notifiedAt && (
            <button
              type="button"
              className="button button-primary"
              disabled={action.busy}
              onClick={() => void act(() => api.notified(accountId, incident.id))}
            >
              Record notice to Amazon as sent
            </button>
          )}
        </div>
      )}
      <FormError error={action.error} />
      <h3>Timeline</h3>
      <ol className="timeline">
        {timeline.map((e) => (
          <li key={e.seq}>
            <Time value={e.at} /> <strong>{e.kind}</strong> <code>{e.actor}</code> {e.detail}
          </li>
        ))}
      </ol>
    </section>
  );
}

export function IncidentsPage() {
  const session = useSession();
  const accounts = accountsWith(session.accounts, "incidents:read");
  const [accountId, setAccountId] = useState(() => initialAccount(accounts));
  const [selected, setSelected] = useState<string | null>(null);
  const account = accounts.find((item) => item.id === accountId);
  const canManage = account?.permissions.includes("incidents:manage") ?? false;
  const list = useResource(useCallback((signal: AbortSignal) => api.list(accountId, signal), [accountId]));
  const now = useNow();

  const choose = (id: string) => {
    setAccountId(id);
    setSelected(null);
    navigate(`/incidents?account=${encodeURIComponent(id)}`, { replace: true });
  };

  return (
    <article className="page page-wide">
      <PageHeader
        title="Incidents"
        lead="Opened by detection rules over the audit log. Amazon must be notified within 24 hours of detection."
      >
        {accounts.length > 1 && <AccountPicker accounts={accounts} value={accountId} onChange={choose} />}
      </PageHeader>
      <section className="card" aria-labelledby="incidents-heading" aria-busy={list.loading}>
        <h2 id="incidents-heading">Incidents</h2>
        {list.result === null ? (
          <Loading>Loading incidents…</Loading>
        ) : !list.result.ok ? (
          <ErrorNotice title="Could not load the incidents" error={list.result.error} />
        ) : list.result.data.length === 0 ? (
          <Notice tone="good" title="No incidents." />
        ) : (
          <table className="data-table data-table-compact">
            <caption className="visually-hidden">Incidents</caption>
            <thead>
              <tr>
                <th scope="col">Detected</th>
                <th scope="col">Incident</th>
                <th scope="col">Severity</th>
                <th scope="col">State</th>
                <th scope="col">Deadline</th>
              </tr>
            </thead>
            <tbody>
              {list.result.data.map((incident) => (
                <tr key={incident.id}>
                  <td>
                    <Time value={incident.detectedAt} />
                  </td>
                  <th scope="row">
                    <button type="button" className="link-button" onClick={() => setSelected(incident.id)}>
                      {incident.title}
                    </button>
                  </th>
                  <td>
                    <Badge tone={severityTone(incident.severity)}>{incident.severity}</Badge>
                  </td>
                  <td>{incident.state.replaceAll("_", " ")}</td>
                  <td>
                    <Countdown incident={incident} now={now} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {selected && (
        <IncidentDetail accountId={accountId} id={selected} canManage={canManage} onChange={list.reload} />
      )}
    </article>
  );
}
