import { navEntries } from "../access";
import { Link, usePath } from "../router";
import { routes } from "../routes";
import { useSession } from "../session";

export function NotFoundPage() {
  const path = usePath();
  const session = useSession();
  return (
    <article className="page">
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Page not found</h1>
          <p className="page-lead">
            There is no page at <code className="path">{path}</code> in Seller Pilot.
          </p>
        </div>
      </div>
      <section className="card" aria-labelledby="not-found-heading">
        <h2 id="not-found-heading">Where to go from here</h2>
        <ul className="link-list">
          {navEntries(routes, session).map((route) => (
            <li key={route.path}>
              <Link to={route.path}>{route.label}</Link>
            </li>
          ))}
        </ul>
      </section>
    </article>
  );
}
