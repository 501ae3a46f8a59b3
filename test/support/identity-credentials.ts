import type { AuditEvent, AuditSink } from "../../src/audit/audit-sink.js";
import { createCredentialModules } from "../../src/identity/credentials-service.js";
import { openTestProtection, type TestProtection } from "./protection.js";
import type { StoreName } from "./stores.js";

export const TEST_PERMISSIONS = ["orders.read", "inventory.read", "pii.reveal"] as const;

/**
 * The credential modules over a fresh, migrated store with the real key hierarchy and a manual clock.
 * Audit events go to the real logger sink and are also kept in `events` for assertions.
 */
export async function openCredentialsFixture(store: StoreName) {
  const p: TestProtection = await openTestProtection(store);
  const events: AuditEvent[] = [];
  const audit: AuditSink = {
    async record(event) {
      events.push(event);
      await p.audit.record(event);
    },
  };
  const db = p.data.database.db;
  const modules = createCredentialModules({
    db,
    clock: p.clock,
    audit,
    fields: p.fields,
    csrfKey: p.master.derive("session-csrf"),
    issuer: "Seller Pilot",
    permissions: TEST_PERMISSIONS,
  });
  return { p, db, clock: p.clock, audit, events, ...modules, dispose: () => p.dispose() };
}

export type CredentialsFixture = Awaited<ReturnType<typeof openCredentialsFixture>>;
