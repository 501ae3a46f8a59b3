import { Badge, PageHeader } from "../components";
import { isRole, ROLE_LABELS } from "../permissions";
import { Link } from "../router";
import { accountsWith, hasPermission, useSession } from "../session";
import { DashboardCharts } from "./DashboardCharts";

export function DashboardPage() {
  const session = useSession();
  const user = session.info.user;
  const links = [
    { to: "/team", label: "Team & roles", show: hasPermission(session, "team:read") },
    { to: "/access-review", label: "Access review", show: hasPermission(session, "access_review:perform") },
    { to: "/audit", label: "Audit log", show: hasPermission(session, "audit:read") },
    { to: "/tokens", label: "API tokens", show: true },
    { to: "/account/security", label: "Security: password, passkeys, recovery codes", show: true },
  ].filter((link) => link.show);

  return (
    <article className="page">
      <PageHeader title="Dashboard" lead={user ? `Welcome, ${user.name || user.email}.` : undefined} />
      {accountsWith(session.accounts, "orders:read").length > 0 && (
        <DashboardCharts accounts={accountsWith(session.accounts, "orders:read")} />
      )}
      <section className="card" aria-labelledby="accounts-heading">
        <h2 id="accounts-heading">Your seller accounts</h2>
        {session.accounts.length === 0 ? (
          <p className="muted">
            You have no role on a seller account yet.
            {user?.isInstanceAdmin
              ? " As an instance administrator you can connect one from the command line."
              : ""}
          </p>
        ) : (
          <table className="data-table">
            <caption className="visually-hidden">Seller accounts and your role</caption>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Region</th>
                <th scope="col">Status</th>
                <th scope="col">Your role</th>
              </tr>
            </thead>
            <tbody>
              {session.accounts.map((account) => (
                <tr key={account.id}>
                  <th scope="row">{account.name}</th>
                  <td>{account.region}</td>
                  <td>{account.status}</td>
                  <td>
                    <Badge tone="neutral">
                      {isRole(account.role) ? ROLE_LABELS[account.role] : account.role}
                    </Badge>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card" aria-labelledby="shortcuts-heading">
        <h2 id="shortcuts-heading">Shortcuts</h2>
        <ul className="link-list">
          {links.map((link) => (
            <li key={link.to}>
              <Link to={link.to}>{link.label}</Link>
            </li>
          ))}
        </ul>
      </section>
    </article>
  );
}
