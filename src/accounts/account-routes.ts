import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import { type Actor, actorLabel } from "../access/authorize.js";
import { isPermission, PERMISSIONS, type Permission } from "../access/permissions.js";
import { permissionsOfStored } from "../access/roles.js";
import { FEATURE_NAMES, requiredRoles } from "../amazon/features.js";
import { parseFeatures } from "../connect/connect-repo.js";
import type { DB } from "../db/schema.js";
import { requireActor } from "../identity/authentication.js";
import { listMembershipsOfUser } from "../identity/memberships-repo.js";
import { findUser } from "../identity/users-repo.js";
import { findSellerAccount, type SellerAccount } from "./accounts-repo.js";

export interface VisibleAccount {
  account: SellerAccount;
  organisationId: string;
  role: string;
  /** The actor's effective permissions there (a token's scopes narrow its user's role). */
  permissions: Permission[];
}

/**
 * The seller accounts an actor can see, with what they may do on each: the same rules as authorize()
 * (active user, own organisation, a membership, the token's scopes), read once for lists.
 */
export async function visibleAccounts(db: Kysely<DB>, actor: Actor): Promise<VisibleAccount[]> {
  if (actor.kind === "user" && !actor.mfaVerified) return [];
  const user = await findUser(db, actor.userId);
  if (user?.status !== "active" || user.organisationId === null) return [];
  const scoped =
    actor.kind === "api_token"
      ? {
          accounts: new Set(actor.scopes.accounts),
          permissions: new Set(actor.scopes.permissions.filter(isPermission)),
        }
      : null;
  const out: VisibleAccount[] = [];
  for (const m of await listMembershipsOfUser(db, user.id)) {
    if (scoped && !scoped.accounts.has(m.accountId)) continue;
    const row = await db
      .selectFrom("seller_accounts")
      .select("organisation_id")
      .where("id", "=", m.accountId)
      .executeTakeFirst();
    if (row?.organisation_id !== user.organisationId) continue;
    const account = await findSellerAccount(db, m.accountId);
    if (!account) continue;
    const held = permissionsOfStored(m.role);
    const permissions = PERMISSIONS.filter((p) => held.has(p) && (!scoped || scoped.permissions.has(p)));
    out.push({ account, organisationId: user.organisationId, role: m.role, permissions });
  }
  return out;
}

/** What the audit viewer may show this actor (see audit-routes.ts): all for an instance admin's session. */
export async function auditReadScope(
  db: Kysely<DB>,
  actor: Actor,
): Promise<{ actor: string } & ({ all: true } | { accounts: string[] })> {
  const label = actorLabel(actor);
  const user = await findUser(db, actor.userId);
  if (actor.kind === "user" && actor.mfaVerified && user?.status === "active" && user.isInstanceAdmin)
    return { actor: label, all: true };
  const accounts = (await visibleAccounts(db, actor))
    .filter((v) => v.permissions.includes("audit:read"))
    .map((v) => v.account.id);
  return { actor: label, accounts };
}

const accountView = z.object({
  id: z.string().max(64),
  name: z.string().max(200),
  region: z.string().max(8),
  status: z.string().max(32),
  organisationId: z.string().max(64),
  role: z.string().max(32),
  permissions: z.array(z.enum(PERMISSIONS)).max(PERMISSIONS.length),
  /** Enabled features and the SP-API roles they need (the connect flow sets them). */
  features: z.array(z.enum(FEATURE_NAMES)).max(FEATURE_NAMES.length),
  requiredRoles: z.array(z.string().max(100)).max(50),
});

export function accountRoutes(deps: { db: Kysely<DB> }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/api/accounts",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "The seller accounts the caller can see, with their role and permissions on each",
          tags: ["accounts"],
          response: { 200: z.object({ accounts: z.array(accountView) }) },
        },
      },
      async (request) => {
        const visible = await visibleAccounts(deps.db, requireActor(request));
        const ids = visible.map((v) => v.account.id);
        const rows =
          ids.length === 0
            ? []
            : await deps.db
                .selectFrom("seller_accounts")
                .select(["id", "features"])
                .where("id", "in", ids)
                .execute();
        const featuresOf = new Map(rows.map((r) => [r.id, parseFeatures(r.features)]));
        return {
          accounts: visible.map((v) => ({
            features: featuresOf.get(v.account.id) ?? [],
            requiredRoles: requiredRoles(featuresOf.get(v.account.id) ?? []),
            id: v.account.id,
            name: v.account.name,
            region: v.account.region,
            status: v.account.status,
            organisationId: v.organisationId,
            role: v.role,
            permissions: v.permissions,
          })),
        };
      },
    );
  };
}
