import { useEffect, useRef, useState } from "react";
import { navEntries, verdict } from "./access";
import { Loading } from "./components";
import { flowState } from "./flow-state";
import { auth } from "./identity-api";
import { NotAllowedPage } from "./pages/NotAllowedPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { Link, navigate, usePath } from "./router";
import { matchRoute, type RouteDef, routes } from "./routes";
import { returnPath, SessionProvider, signInPathFor, stepPath, useSession } from "./session";

const PRODUCT = "Seller Pilot";

function BrandMark() {
  return (
    <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <path
        fill="#fff"
        d="M9 21.5c1.6 1.3 3.9 2 6.3 2 3.9 0 6.4-1.9 6.4-4.8 0-2.6-1.8-3.8-5.4-4.6l-1.6-.4c-1.8-.4-2.5-.9-2.5-1.8 0-1.1 1.1-1.8 2.8-1.8 1.6 0 3.1.5 4.4 1.5l1.6-2.4c-1.6-1.2-3.7-1.9-6-1.9-3.6 0-6.1 2-6.1 4.8 0 2.5 1.7 3.8 5.2 4.6l1.6.4c1.9.4 2.6.9 2.6 1.9 0 1.1-1.2 1.9-3 1.9-2 0-3.8-.7-5.3-1.9z"
      />
    </svg>
  );
}

/** Replaces the current address; rendered instead of a page the session may not open. */
function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return <Loading>Redirecting…</Loading>;
}

function RouteGate({ route, path }: { route: RouteDef | undefined; path: string }) {
  const session = useSession();
  if (!route) return <NotFoundPage />;
  if (route.access === "public") return <route.component />;
  if (session.loading) return <Loading>Checking your session…</Loading>;
  switch (verdict(route.access, session)) {
    case "show":
      return <route.component />;
    case "signed-in":
      return <Redirect to={returnPath()} />;
    case "step":
      return <Redirect to={stepPath(session.info.next)} />;
    case "sign-in":
      return <Redirect to={signInPathFor(path)} />;
    case "not-allowed":
      return <NotAllowedPage route={route} />;
  }
}

function SessionIndicator() {
  const session = useSession();
  const [busy, setBusy] = useState(false);
  if (session.loading) return null;
  const { info } = session;
  if (!info.signedIn && !info.pending) {
    return (
      <div className="session-indicator">
        <Link to="/sign-in" className="button">
          Sign in
        </Link>
      </div>
    );
  }
  const signOut = async () => {
    setBusy(true);
    // Pending sessions cannot call sign-out; they simply expire. Either way the browser forgets them.
    if (info.signedIn) await auth.signOut();
    setBusy(false);
    session.clear();
    flowState.notice = "You are signed out.";
    navigate("/sign-in");
  };
  const who = info.user ? info.user.name || info.user.email : "";
  return (
    <div className="session-indicator">
      <span className="session-user" data-testid="session-user">
        {info.signedIn ? (
          <>
            Signed in as <strong>{who}</strong>
            {info.user?.name && <span className="muted"> ({info.user.email})</span>}
          </>
        ) : (
          <span className="muted">Signing in…</span>
        )}
      </span>
      <button type="button" className="button" onClick={() => void signOut()} disabled={busy}>
        {info.signedIn ? "Sign out" : "Cancel sign-in"}
      </button>
    </div>
  );
}

function Navigation({ path }: { path: string }) {
  const session = useSession();
  return (
    <nav className="shell-nav" aria-label="Main">
      <ul>
        {navEntries(routes, session).map((entry) => (
          <li key={entry.path}>
            <Link to={entry.path} aria-current={entry.path === path ? "page" : undefined}>
              {entry.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Shell() {
  const path = usePath();
  const route = matchRoute(path);
  const session = useSession();
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  const notAllowed =
    route !== undefined && !session.loading && verdict(route.access, session) === "not-allowed";
  const title = route === undefined ? "Page not found" : notAllowed ? "Not allowed" : route.label;

  useEffect(() => {
    document.title = `${title} · ${PRODUCT}`;
  }, [title]);

  useEffect(() => {
    // `path` is the trigger: each client-side navigation lands here once.
    void path;
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    // After a client-side navigation, move focus to the new page's heading so screen readers announce it.
    const heading = mainRef.current?.querySelector<HTMLElement>("h1");
    (heading ?? mainRef.current)?.focus();
  }, [path]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="shell-header">
        <Link to="/" className="brand">
          <BrandMark />
          <span className="brand-name">{PRODUCT}</span>
        </Link>
        <SessionIndicator />
      </header>
      <Navigation path={path} />
      <main id="main" className="shell-main" ref={mainRef} tabIndex={-1}>
        <RouteGate route={route} path={path} />
      </main>
    </div>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Shell />
    </SessionProvider>
  );
}
