import { createAuthorizer } from "./access/authorize.js";
import { createBusinessReads } from "./access/business-reads.js";
import { createOrderReads } from "./access/order-reads.js";
import { PERMISSIONS } from "./access/permissions.js";
import { createPiiReveal } from "./access/pii-reveal.js";
import { createAccessReviews } from "./identity/access-review.js";
import {
  createCredentialModules,
  createCredentialRevoker,
  createCredentialsService,
} from "./identity/credentials-service.js";
import { createIdentityService } from "./identity/identity-service.js";
import type { Runtime } from "./runtime.js";

/** Shown by authenticator apps next to the account and by passkey prompts. */
export const ISSUER = "Seller Pilot";

/**
 * The identity and access services over one opened runtime: the wiring the HTTP app and the CLI share,
 * so both enforce the same rules with the same audit trail.
 */
export function createServices(rt: Pick<Runtime, "database" | "clock" | "audit" | "fields" | "master">) {
  const db = rt.database.db;
  const { clock, audit, fields } = rt;
  const modules = createCredentialModules({
    db,
    clock,
    audit,
    fields,
    csrfKey: rt.master.key.derive("session-csrf"),
    issuer: ISSUER,
    permissions: PERMISSIONS,
  });
  const credentials = createCredentialsService({ ...modules, audit });
  const authorizer = createAuthorizer({ audit });
  const identity = createIdentityService({
    db,
    clock,
    audit,
    authorizer,
    revokeUserCredentials: createCredentialRevoker(clock),
  });
  const accessReviews = createAccessReviews({ db, clock, audit, authorizer, identity });
  const reveals = createPiiReveal({ authorizer, fields, audit, clock });
  // The one door to Amazon Information for routes and the CLI (authorize, audit, then read).
  const orders = createOrderReads({ authorizer, reveals, fields, audit, clock });
  const business = createBusinessReads({ authorizer, audit, clock });
  return { modules, credentials, authorizer, identity, accessReviews, reveals, orders, business };
}

export type Services = ReturnType<typeof createServices>;
