/** The background job that syncs one account (registered in src/background-jobs.ts, queued by sync routes). */
export const SYNC_JOB = "sync";

/** The same key the runner gives scheduled runs, so a manual sync never stacks on a scheduled one. */
export const syncSingletonKey = (accountId: string) => `${SYNC_JOB}:${accountId}`;
