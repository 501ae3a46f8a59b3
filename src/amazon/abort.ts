import { setTimeout as timer } from "node:timers/promises";
import { AppError } from "../platform/errors.js";

/**
 * A wait in some clock's time. With a signal, an abort ends the wait at once (its timer cleared, nothing left
 * pending in the event loop) and rejects with abortError(signal).
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * What an aborted call rejects with: the signal's reason when it is one of ours (the job runner aborts with
 * SYNC_ABORTED), SYNC_ABORTED otherwise, so callers see one stable code whoever pulled the plug.
 */
export function abortError(signal: AbortSignal): AppError {
  const reason: unknown = signal.reason;
  return reason instanceof AppError ? reason : new AppError("SYNC_ABORTED", undefined, { cause: reason });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** Real waiting; `toRealMs` turns the caller's milliseconds into real ones (a scaled clock's sleep). */
export function timerSleep(toRealMs: (ms: number) => number = (ms) => ms): Sleep {
  return async (ms, signal) => {
    throwIfAborted(signal);
    try {
      await timer(toRealMs(ms), undefined, signal ? { signal } : undefined);
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw err;
    }
  };
}

/**
 * Stops waiting for `work` when the signal aborts. The work itself goes on: it may be shared (one token
 * renewal serves every concurrent caller of an account), so one caller's abort must not cancel it.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    const settle = () => signal.removeEventListener("abort", onAbort);
    work.then(
      (value) => {
        settle();
        resolve(value);
      },
      (err: unknown) => {
        settle();
        reject(err);
      },
    );
  });
}
