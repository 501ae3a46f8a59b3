import { AppError, type ErrorCode } from "../platform/errors.js";
import { JOB_DEFAULTS, type JobHandlerOptions, type JobPayload } from "./jobs-types.js";

/** What a failed try leaves in status: a catalog code only, so no message, stack or secret is ever stored. */
export function errorCodeOf(err: unknown): ErrorCode {
  return err instanceof AppError ? err.code : "JOB_FAILED";
}

/** The seller revoked the authorization: retrying cannot help, the account's jobs pause instead. */
export function isRevocation(err: unknown): boolean {
  return err instanceof AppError && err.code === "SPAPI_AUTHORIZATION_REVOKED";
}

/**
 * Whether another try can help. Unexpected errors and 5xx/408/429 codes are transient; other 4xx codes
 * (revoked authorization, a feature not enabled, an unknown account) fail the same way every time.
 */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof AppError)) return true;
  if (err.code === "JOB_UNKNOWN") return false;
  return err.status >= 500 || err.status === 408 || err.status === 429;
}

/** Delay before try `attempt + 1`: exponential from the base, capped. */
export function backoffDelayMs(options: Required<JobHandlerOptions>, attempt: number): number {
  const exp = options.backoffMs * 2 ** Math.max(0, attempt - 1);
  return Math.min(exp, JOB_DEFAULTS.maxBackoffMs);
}

export function handlerOptions(options: JobHandlerOptions = {}): Required<JobHandlerOptions> {
  const resolved = {
    maxAttempts: options.maxAttempts ?? JOB_DEFAULTS.maxAttempts,
    backoffMs: options.backoffMs ?? JOB_DEFAULTS.backoffMs,
    timeoutMs: options.timeoutMs ?? JOB_DEFAULTS.timeoutMs,
  };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new RangeError("maxAttempts must be a positive integer");
  }
  if (!(resolved.backoffMs >= 0) || !(resolved.timeoutMs >= 1000)) {
    throw new RangeError("backoffMs must be >= 0 and timeoutMs >= 1000");
  }
  return resolved;
}

/** The account a job works for: the explicit option, else a string `payload.accountId`. */
export function accountOf(payload: JobPayload, explicit: string | undefined): string | null {
  if (explicit !== undefined) return explicit;
  return typeof payload.accountId === "string" ? payload.accountId : null;
}

/** Scheduled runs use this key, so a schedule never stacks a run on top of a queued or running one. */
export function scheduleSingletonKey(name: string, accountId: string | null): string {
  return `${name}:${accountId ?? "*"}`;
}

export const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

export function checkJobName(name: string): void {
  // pg-boss queue names and our varchar(64) columns both accept this shape.
  if (!NAME_PATTERN.test(name)) throw new RangeError(`job name must match ${NAME_PATTERN}`);
}
