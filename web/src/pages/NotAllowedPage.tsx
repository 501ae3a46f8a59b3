import { PageHeader } from "../components";
import { Link } from "../router";
import type { RouteDef } from "../routes";

export function NotAllowedPage({ route }: { route: RouteDef }) {
  return (
    <article className="page">
      <PageHeader title="Not allowed" lead={`Your role does not allow you to open ${route.label}.`} />
      <section className="card" aria-labelledby="not-allowed-heading">
        <h2 id="not-allowed-heading">Why</h2>
        <p>
          This page needs the permission <code>{route.access}</code> on at least one seller account. Ask an
          owner or admin of the account if you need it.
        </p>
        <p>
          <Link to="/dashboard">Back to the dashboard</Link>
        </p>
      </section>
    </article>
  );
}
