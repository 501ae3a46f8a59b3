import { useCallback, useEffect, useState } from "react";
import type { ApiError, Result } from "./api";

export interface ResourceState<T> {
  /** The latest completed result; kept while a refresh is in flight. */
  result: Result<T> | null;
  loading: boolean;
  /** When the latest result arrived. */
  updatedAt: Date | null;
  reload: () => void;
}

/** Runs `load` on mount and on reload(); cancels the request in flight when unmounted or superseded. */
export function useResource<T>(load: (signal: AbortSignal) => Promise<Result<T>>): ResourceState<T> {
  const [generation, setGeneration] = useState(0);
  const [state, setState] = useState<Omit<ResourceState<T>, "reload">>({
    result: null,
    loading: true,
    updatedAt: null,
  });

  useEffect(() => {
    // `generation` is the reload trigger; reading it here makes the dependency explicit.
    void generation;
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    load(controller.signal).then(
      (result) => {
        if (!controller.signal.aborted) setState({ result, loading: false, updatedAt: new Date() });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setState({
          result: {
            ok: false,
            error: { code: "CLIENT_ERROR", message: error instanceof Error ? error.message : String(error) },
          },
          loading: false,
          updatedAt: new Date(),
        });
      },
    );
    return () => controller.abort();
  }, [load, generation]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { ...state, reload };
}

export interface ActionState {
  busy: boolean;
  error: ApiError | null;
  /** Runs the call; resolves with its data, or null after recording the error. */
  run: <T>(call: () => Promise<Result<T>>) => Promise<T | null>;
  setError: (error: ApiError | null) => void;
}

/** One write at a time per form: tracks the pending call and the error to show. */
export function useAction(): ActionState {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(async <T>(call: () => Promise<Result<T>>): Promise<T | null> => {
    setBusy(true);
    setError(null);
    try {
      const result = await call();
      if (result.ok) return result.data;
      setError(result.error);
      return null;
    } catch (cause) {
      setError({ code: "CLIENT_ERROR", message: cause instanceof Error ? cause.message : String(cause) });
      return null;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, setError };
}
