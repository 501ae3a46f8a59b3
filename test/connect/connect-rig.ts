import { expect } from "vitest";
import { type SandboxHarness, startHarness } from "../../sandbox/test-harness.js";
import { createAmazonApi } from "../../src/amazon/amazon-api.js";
import type { AuditEvent, AuditSink } from "../../src/audit/audit-sink.js";
import { type ConnectService, createConnectService } from "../../src/connect/connect-service.js";
import { createOrganisation } from "../../src/identity/organisations-repo.js";
import { createUser } from "../../src/identity/users-repo.js";
import { ManualClock } from "../../src/platform/clock.js";
import { CLIENT_SECRET_NAME } from "../../src/secrets/client-secret-age.js";
import { INSTANCE_ACCOUNT } from "../../src/secrets/secrets-store.js";
import { openTestProtection, type TestProtection } from "../support/protection.js";
import type { StoreName } from "../support/stores.js";

export const REDIRECT = "https://localhost:8443/api/connect/callback";

/** The real SP-API client against the real sandbox, with the connect service as its account profiles. */
export interface Rig {
  h: SandboxHarness;
  protection: TestProtection;
  clock: ManualClock;
  events: AuditEvent[];
  connect: ConnectService;
  api: ReturnType<typeof createAmazonApi>;
  org: string;
  owner: { userId: string; sessionId: string };
  /** Follows the consent URL through the sandbox's consent page as seller `index`; returns the callback query. */
  consent(
    consentUrl: string,
    index?: number,
  ): Promise<{ state: string; selling_partner_id: string; spapi_oauth_code: string }>;
  dispose(): Promise<void>;
}

export async function openRig(store: StoreName): Promise<Rig> {
  const h = await startHarness({ orders: 50, redirectUris: [REDIRECT] });
  const protection = await openTestProtection(store);
  const clock = new ManualClock(new Date(h.clock.now()));
  const events: AuditEvent[] = [];
  const audit: AuditSink = {
    async record(event) {
      events.push(event);
    },
  };
  const sandbox = h.running.sandbox;
  await protection.secrets.put(CLIENT_SECRET_NAME, sandbox.clientSecret(), {
    accountId: INSTANCE_ACCOUNT,
    actor: "test",
  });
  const db = protection.data.database.db;
  let connect: ConnectService | undefined;
  const api = createAmazonApi({
    clientId: sandbox.clientId,
    overrides: { endpoint: h.endpoint, lwaTokenUrl: h.running.lwaTokenUrl },
    secrets: protection.secrets,
    database: protection.data.database,
    audit,
    clock,
    accounts: { profile: (id) => (connect as ConnectService).profile(id) },
    sleep: async (ms) => clock.advance(ms),
    transport: { timeoutMs: 10_000 },
  });
  connect = createConnectService({
    db,
    fields: protection.fields,
    secrets: protection.secrets,
    lwa: api.lwa,
    client: api.client,
    audit,
    clock,
    applicationId: sandbox.applicationId,
    region: "na",
    consentUrl: h.running.consentUrl,
    beta: true,
    redirectUri: REDIRECT,
  });
  const now = clock.now();
  const org = await createOrganisation(db, { name: "Agency" }, now);
  const admin = await createUser(
    db,
    { organisationId: org.id, email: "ada@agency.example", displayName: "Admin", isInstanceAdmin: true },
    now,
  );
  return {
    h,
    protection,
    clock,
    events,
    connect,
    api,
    org: org.id,
    owner: { userId: admin.id, sessionId: "session-1" },
    async consent(consentUrl, index = 0) {
      const url = new URL(consentUrl);
      url.searchParams.set("selling_partner_id", sandbox.sellers[index]?.sellingPartnerId ?? "");
      const res = await fetch(url, { redirect: "manual" });
      expect(res.status).toBe(302);
      const back = new URL(res.headers.get("location") ?? "");
      expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
      return {
        state: back.searchParams.get("state") ?? "",
        selling_partner_id: back.searchParams.get("selling_partner_id") ?? "",
        spapi_oauth_code: back.searchParams.get("spapi_oauth_code") ?? "",
      };
    },
    async dispose() {
      api.close();
      await h.close();
      await protection.dispose();
    },
  };
}
