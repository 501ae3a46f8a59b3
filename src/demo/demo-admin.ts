import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import type { Operator } from "../identity/invitations.js";
import { findUserByEmail } from "../identity/users-repo.js";
import type { Services } from "../services.js";

/** The demo agency's first admin: a reserved example.* address (RFC 2606), one person, never a shared mailbox. */
export const DEMO_ADMIN_EMAIL = "first.admin@demo-agency.example";
const DEMO_OPERATOR: Operator = { kind: "operator", name: "demo-mode" };

/**
 * Until someone has set a password, demo mode hands out the first admin's enrollment: the instance admin of the
 * demo agency (owner of its accounts) and a fresh single-use invitation for them. Returns the invitation token,
 * or null once any user of the instance can sign in (from then on people are invited the normal way).
 */
export async function firstAdminEnrollment(
  deps: { db: Kysely<DB>; services: Pick<Services, "identity"> },
  demo: { organisationId: string; accountIds: readonly string[] },
): Promise<{ email: string; token: string; expiresAt: string } | null> {
  const { db } = deps;
  const { identity } = deps.services;
  const anyPassword = await db.selectFrom("user_passwords").select("user_id").limit(1).executeTakeFirst();
  const firstAccount = demo.accountIds[0];
  if (anyPassword || firstAccount === undefined) return null;

  const user =
    (await findUserByEmail(db, DEMO_ADMIN_EMAIL)) ??
    (await identity.createUser(DEMO_OPERATOR, {
      organisationId: demo.organisationId,
      email: DEMO_ADMIN_EMAIL,
      displayName: "Demo admin",
      isInstanceAdmin: true,
    }));
  for (const accountId of demo.accountIds) {
    await identity.grantRole(DEMO_OPERATOR, { userId: user.id, accountId, role: "owner" });
  }
  const { invitation, token } = await identity.invite(DEMO_OPERATOR, {
    accountId: firstAccount,
    email: DEMO_ADMIN_EMAIL,
    role: "owner",
  });
  return { email: DEMO_ADMIN_EMAIL, token, expiresAt: invitation.expiresAt };
}
