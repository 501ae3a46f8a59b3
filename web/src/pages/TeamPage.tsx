import { type FormEvent, useCallback, useId, useState } from "react";
import { AccountPicker, initialAccount } from "../account-picker";
import { fetchRoles, type InvitationIssued, type Member, type RoleInfo, team } from "../admin-api";
import { Badge, ErrorNotice, Loading, PageHeader, Time } from "../components";
import { CopyButton, Field, FormError, Notice } from "../forms";
import { messageFor } from "../messages";
import { isRole, ROLE_LABELS } from "../permissions";
import { navigate } from "../router";
import { accountsWith, useSession } from "../session";
import { useAction, useResource } from "../useResource";

function roleLabel(role: string): string {
  return isRole(role) ? ROLE_LABELS[role] : role;
}

function RoleSelect({
  value,
  onChange,
  roles,
  label,
}: {
  value: string;
  onChange: (role: string) => void;
  roles: readonly RoleInfo[];
  label: string;
}) {
  const id = useId();
  return (
    <div className="field field-inline">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        {roles.map((role) => (
          <option key={role.name} value={role.name}>
            {role.label}
          </option>
        ))}
      </select>
    </div>
  );
}

function InviteForm({
  accountId,
  roles,
  onInvited,
}: {
  accountId: string;
  roles: readonly RoleInfo[];
  onInvited: () => void;
}) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<string>(
    roles.some((r) => r.name === "viewer") ? "viewer" : (roles[0]?.name ?? "viewer"),
  );
  const [issued, setIssued] = useState<(InvitationIssued & { email: string }) | null>(null);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setIssued(null);
    const result = await action.run(() => team.invite(accountId, email.trim(), role));
    if (!result) return;
    setIssued({ ...result, email: email.trim() });
    setEmail("");
    onInvited();
  };

  const link = issued?.token
    ? `${window.location.origin}/enroll?token=${encodeURIComponent(issued.token)}`
    : null;
  return (
    <form className="form" onSubmit={(event) => void submit(event)} aria-labelledby="invite-heading">
      <h3 id="invite-heading">Invite someone</h3>
      <div className="form-inline">
        <Field
          label="E-mail address"
          type="email"
          required
          maxLength={254}
          value={email}
          onChange={setEmail}
        />
        <RoleSelect label="Role" value={role} onChange={setRole} roles={roles} />
        <button type="submit" className="button button-primary" disabled={action.busy}>
          Send invitation
        </button>
      </div>
      {roles.find((r) => r.name === role)?.description && (
        <p className="field-hint">{roles.find((r) => r.name === role)?.description}</p>
      )}
      <FormError error={action.error} />
      {issued && (
        <Notice tone="good" title={`Invitation created for ${issued.email}.`}>
          {link ? (
            <>
              <p>
                No mail server is configured: give this link to the person yourself. It is shown only once and
                works once.
              </p>
              <p>
                <code className="secret" data-testid="invitation-link">
                  {link}
                </code>
              </p>
              <CopyButton text={link} label="Copy link" />
            </>
          ) : (
            <p>
              An e-mail with the link is on its way. It expires <Time value={issued.expiresAt} />.
            </p>
          )}
        </Notice>
      )}
    </form>
  );
}

function MemberRow({
  accountId,
  member,
  canManage,
  manageColumn,
  roles,
  onChanged,
}: {
  accountId: string;
  member: Member;
  canManage: boolean;
  manageColumn: boolean;
  roles: readonly RoleInfo[];
  onChanged: () => void;
}) {
  const [role, setRole] = useState(member.role);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const action = useAction();
  const save = async () => {
    if ((await action.run(() => team.changeRole(accountId, member.userId, role))) !== null) onChanged();
  };
  const remove = async () => {
    setConfirmRemove(false);
    if ((await action.run(() => team.remove(accountId, member.userId))) !== null) onChanged();
  };
  const unlock = async () => {
    if ((await action.run(() => team.unlock(accountId, member.userId))) !== null) onChanged();
  };
  const who = member.name || member.email || member.userId;
  return (
    <tr>
      <th scope="row">
        {member.name || <span className="muted">(no name yet)</span>}
        <div className="muted">{member.email}</div>
      </th>
      <td>
        {canManage ? (
          <div className="form-inline">
            <RoleSelect
              label={`Role of ${who}`}
              value={role}
              onChange={setRole}
              roles={
                roles.some((r) => r.name === member.role)
                  ? roles
                  : [
                      ...roles,
                      { name: member.role, label: roleLabel(member.role), description: "", permissions: [] },
                    ]
              }
            />
            <button
              type="button"
              className="button"
              onClick={() => void save()}
              disabled={action.busy || role === member.role}
            >
              Change role
            </button>
          </div>
        ) : (
          <Badge tone="neutral">{roleLabel(member.role)}</Badge>
        )}
        {member.status && member.status !== "active" && <Badge tone="bad">{member.status}</Badge>}
        {member.locked && <Badge tone="bad">locked</Badge>}
        {member.locked && canManage && (
          <button type="button" className="button" onClick={() => void unlock()} disabled={action.busy}>
            Unlock
          </button>
        )}
        {action.error && (
          <p className="inline-error" role="alert">
            {messageFor(action.error)} <code>{action.error.code}</code>
          </p>
        )}
      </td>
      {manageColumn && (
        <td>
          {!canManage ? (
            <span className="muted">You</span>
          ) : confirmRemove ? (
            <div className="button-row">
              <button
                type="button"
                className="button button-danger"
                onClick={() => void remove()}
                disabled={action.busy}
              >
                Remove {who}
              </button>
              <button type="button" className="button" onClick={() => setConfirmRemove(false)}>
                Cancel
              </button>
            </div>
          ) : (
            <button type="button" className="button" onClick={() => setConfirmRemove(true)}>
              Remove
            </button>
          )}
        </td>
      )}
    </tr>
  );
}

export function TeamPage() {
  const session = useSession();
  const accounts = accountsWith(session.accounts, "team:read");
  const [accountId, setAccountId] = useState(() => initialAccount(accounts));
  const account = accounts.find((item) => item.id === accountId);
  const members = useResource(
    useCallback((signal: AbortSignal) => team.members(accountId, signal), [accountId]),
  );
  const canManage = account?.permissions.includes("team:manage") ?? false;
  const catalog = useResource(useCallback((signal: AbortSignal) => fetchRoles(signal), []));
  // Nobody grants a permission they do not hold (the server enforces it; the list just avoids offering it).
  const held: ReadonlySet<string> = new Set(account?.permissions ?? []);
  const grantable = (catalog.result?.ok ? catalog.result.data.roles : []).filter((role) =>
    role.permissions.every((p) => held.has(p)),
  );

  const choose = (id: string) => {
    setAccountId(id);
    navigate(`/team?account=${encodeURIComponent(id)}`, { replace: true });
  };

  return (
    <article className="page">
      <PageHeader
        title="Team & roles"
        lead="Who has which role on a seller account. Every change is recorded in the audit log."
      >
        {accounts.length > 1 && <AccountPicker accounts={accounts} value={accountId} onChange={choose} />}
      </PageHeader>
      <section className="card" aria-labelledby="members-heading" aria-busy={members.loading}>
        <h2 id="members-heading">Members of {account?.name ?? "this account"}</h2>
        {members.result === null ? (
          <Loading>Loading members…</Loading>
        ) : !members.result.ok ? (
          members.result.error.status === 403 ? (
            <Notice tone="warn" title="Your role does not allow you to see this team." />
          ) : (
            <ErrorNotice title="Could not load the members" error={members.result.error} />
          )
        ) : (
          <table className="data-table">
            <caption className="visually-hidden">Members and roles</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Role</th>
                {canManage && <th scope="col">Access</th>}
              </tr>
            </thead>
            <tbody>
              {members.result.data.map((member) => (
                <MemberRow
                  key={`${member.userId}:${member.role}`}
                  accountId={accountId}
                  member={member}
                  canManage={canManage && member.userId !== session.info.user?.id}
                  manageColumn={canManage}
                  roles={grantable}
                  onChanged={members.reload}
                />
              ))}
            </tbody>
          </table>
        )}
        {canManage && <InviteForm accountId={accountId} roles={grantable} onInvited={members.reload} />}
      </section>
    </article>
  );
}
