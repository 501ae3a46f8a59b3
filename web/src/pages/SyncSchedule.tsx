import { useCallback, useEffect, useState } from "react";
import type { ApiError } from "../api";
import { Badge, ErrorNotice, Loading, Time } from "../components";
import { Notice } from "../forms";
import { insights } from "../sync-api";
import { useResource } from "../useResource";

/** While a sync is queued or running, the card asks again this often (the job reports no progress stream). */
const POLL_MS = 2_000;

function every(ms: number | null): string {
  if (ms === null) return "not scheduled";
  if (ms < 3_600_000) return `every ${Math.round(ms / 60_000)} min`;
  return `every ${Math.round(ms / 3_600_000)} h`;
}

/**
 * The account's sync schedule and a "Sync now" for people allowed to run one. The server keeps at most one
 * sync queued or running per account, so a second click reports "already queued" instead of adding work.
 */
export function SyncSchedule({
  accountId,
  canRun,
  onFinished,
}: {
  accountId: string;
  canRun: boolean;
  onFinished: () => void;
}) {
  const status = useResource(
    useCallback((signal: AbortSignal) => insights.syncStatus(accountId, signal), [accountId]),
  );
  // The request, and the last run the schedule showed before it: a different last run that is no longer
  // running means the requested sync has finished (however quickly it ran between two polls).
  const [requested, setRequested] = useState<{ queued: boolean; lastRunBefore: string | null } | null>(null);
  const [finished, setFinished] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const current = status.result?.ok === true ? status.result.data : null;
  const { reload } = status;

  useEffect(() => {
    if (!current?.running && requested === null) return;
    const timer = setTimeout(reload, POLL_MS);
    return () => clearTimeout(timer);
  }, [current, requested, reload]);

  useEffect(() => {
    if (requested === null || current === null || current.running) return;
    if (current.lastRunAt !== requested.lastRunBefore) {
      setRequested(null);
      setFinished(true);
      onFinished();
    }
  }, [current, requested, onFinished]);

  const syncNow = async () => {
    setBusy(true);
    setFailure(null);
    setFinished(false);
    const lastRunBefore = current?.lastRunAt ?? null;
    const result = await insights.syncNow(accountId);
    setBusy(false);
    if (result.ok) {
      setRequested({ queued: result.data.queued, lastRunBefore });
      reload();
    } else setFailure(result.error);
  };

  return (
    <section className="card" aria-labelledby="schedule-heading" aria-busy={status.loading}>
      <h2 id="schedule-heading">Schedule</h2>
      {status.result === null ? (
        <Loading>Loading…</Loading>
      ) : !status.result.ok ? (
        <ErrorNotice title="Could not load the sync schedule" error={status.result.error} />
      ) : (
        <dl className="facts" data-testid="sync-schedule">
          <div>
            <dt>State</dt>
            <dd>
              {status.result.data.pausedAt ? (
                <Badge tone="bad">Paused ({status.result.data.pausedCode ?? "paused"})</Badge>
              ) : status.result.data.running ? (
                <Badge tone="neutral">Sync running</Badge>
              ) : (
                <Badge tone="good">Idle</Badge>
              )}
            </dd>
          </div>
          <div>
            <dt>Last success</dt>
            <dd>
              <Time value={status.result.data.lastSuccessAt} />
            </dd>
          </div>
          <div>
            <dt>Next run</dt>
            <dd>
              <Time value={status.result.data.nextRunAt} /> ({every(status.result.data.everyMs)})
            </dd>
          </div>
          {status.result.data.lastErrorCode && (
            <div>
              <dt>Last error</dt>
              <dd>
                <Badge tone="bad">{status.result.data.lastErrorCode}</Badge>{" "}
                <Time value={status.result.data.lastErrorAt} />
              </dd>
            </div>
          )}
        </dl>
      )}
      {canRun && (
        <div className="button-row">
          <button
            type="button"
            className="button button-primary"
            onClick={() => void syncNow()}
            disabled={busy}
          >
            Sync now
          </button>
        </div>
      )}
      {requested && (
        <Notice
          tone="info"
          title={requested.queued ? "Sync queued." : "A sync is already queued or running."}
        />
      )}
      {finished && <Notice tone="info" title="The sync has finished." />}
      {failure && <ErrorNotice title="Could not start a sync" error={failure} />}
    </section>
  );
}
