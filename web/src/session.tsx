// The signed-in state the whole app shares: who is signed in, how far the sign-in flow got, and which
// seller accounts (with which permissions) they hold. The server remains the judge of every request.
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import { type ApiError, onUnauthorized, setCsrfToken } from "./api";
import { flowState } from "./flow-state";
import { type AccountSummary, auth, fetchAccounts, type NextStep, type SessionInfo } from "./identity-api";
import type { Permission } from "./permissions";
import { navigate } from "./router";

export interface SessionState {
  loading: boolean;
  info: SessionInfo;
  accounts: AccountSummary[];
  /** Why the session could not be read (the app then behaves as signed out). */
  error: ApiError | null;
  /** Re-reads the session (after each sign-in step) and resolves with it. */
  refresh: () => Promise<SessionInfo>;
  /** Forgets the session locally after a sign-out. */
  clear: () => void;
}

const SIGNED_OUT: SessionInfo = { signedIn: false, pending: false };

const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession needs a SessionProvider");
  return value;
}

/** The page of the sign-in flow for a pending step. */
export function stepPath(next: NextStep | undefined): string {
  switch (next) {
    case "mfa":
      return "/sign-in/verify";
    case "enroll_mfa":
      return "/sign-in/enroll-mfa";
    case "change_password":
      return "/sign-in/change-password";
    default:
      return "/sign-in";
  }
}

/** Where to go once signed in: the page asked for before sign-in, if it is one of ours. */
export function returnPath(): string {
  const next = new URLSearchParams(window.location.search).get("next");
  return next?.startsWith("/") && !next.startsWith("//") && !next.startsWith("/sign-in")
    ? next
    : "/dashboard";
}

export function signInPathFor(path: string): string {
  return path === "/" || path.startsWith("/sign-in")
    ? "/sign-in"
    : `/sign-in?next=${encodeURIComponent(path)}`;
}

export function hasPermission(
  state: Pick<SessionState, "info" | "accounts">,
  permission: Permission,
): boolean {
  if (!state.info.signedIn) return false;
  if (permission === "audit:read" && state.info.user?.isInstanceAdmin) return true;
  return state.accounts.some((account) => account.permissions.includes(permission));
}

export function accountsWith(accounts: readonly AccountSummary[], permission: Permission): AccountSummary[] {
  return accounts.filter((account) => account.permissions.includes(permission));
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<Omit<SessionState, "refresh" | "clear">>({
    loading: true,
    info: SIGNED_OUT,
    accounts: [],
    error: null,
  });
  const generation = useRef(0);

  const refresh = useCallback(async (): Promise<SessionInfo> => {
    const mine = ++generation.current;
    const session = await auth.session();
    let info = SIGNED_OUT;
    let accounts: AccountSummary[] = [];
    let error: ApiError | null = null;
    if (session.ok) {
      info = session.data;
      if (info.signedIn) {
        const list = await fetchAccounts();
        if (list.ok) accounts = list.data;
        else error = list.error;
      }
    } else {
      error = session.error;
    }
    if (!info.signedIn && !info.pending) setCsrfToken(null);
    if (mine === generation.current) setState({ loading: false, info, accounts, error });
    return info;
  }, []);

  const clear = useCallback(() => {
    generation.current++;
    setCsrfToken(null);
    setState({ loading: false, info: SIGNED_OUT, accounts: [], error: null });
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => {
    // A 401 anywhere outside the sign-in flow: the session ended (expired, signed out elsewhere).
    onUnauthorized(() => {
      clear();
      navigate(`${signInPathFor(window.location.pathname)}`, { replace: true });
    });
    return () => onUnauthorized(null);
  }, [clear]);

  const value = useMemo<SessionState>(() => ({ ...state, refresh, clear }), [state, refresh, clear]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** After a sign-in step succeeded: re-read the session and go where it says (next step, or the app). */
export async function continueSignIn(session: Pick<SessionState, "refresh">, next: NextStep): Promise<void> {
  const info = await session.refresh();
  if (info.signedIn && info.next === "change_password") {
    navigate(stepPath("change_password"), { replace: true });
  } else if (info.signedIn) {
    const target = flowState.returnTo;
    flowState.returnTo = "/dashboard";
    navigate(target, { replace: true });
  } else if (info.pending) {
    navigate(stepPath(info.next ?? next), { replace: true });
  } else {
    navigate("/sign-in", { replace: true });
  }
}
