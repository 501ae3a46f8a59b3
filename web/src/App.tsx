import { useEffect, useRef } from "react";
import { NotFoundPage } from "./pages/NotFoundPage";
import { Link, usePath } from "./router";
import { matchRoute, routes } from "./routes";

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

export function App() {
  const path = usePath();
  const route = matchRoute(path);
  const Page = route?.component ?? NotFoundPage;
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  useEffect(() => {
    document.title = `${route?.label ?? "Page not found"} · ${PRODUCT}`;
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    // After a client-side navigation, move focus to the new page's heading so screen readers announce it.
    const heading = mainRef.current?.querySelector<HTMLElement>("h1");
    (heading ?? mainRef.current)?.focus();
  }, [route]);

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
      </header>
      <nav className="shell-nav" aria-label="Main">
        <ul>
          {routes.map((entry) => (
            <li key={entry.path}>
              <Link to={entry.path} aria-current={entry.path === path ? "page" : undefined}>
                {entry.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="shell-main" ref={mainRef} tabIndex={-1}>
        <Page />
      </main>
    </div>
  );
}
