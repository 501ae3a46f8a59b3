import { createHmac, timingSafeEqual } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { openSmtpReceiver, openWebhookReceiver } from "../../test/support/alert-receivers.js";
import { openTestAuditLog, type TestAuditLog, withoutAuditTriggers } from "../../test/support/audit-log.js";
import { STORES } from "../../test/support/stores.js";
import type { IncidentConfig } from "../config/config.js";
import { MS } from "../platform/clock.js";
import { isAppError } from "../platform/errors.js";
import { WEBHOOK_SIGNATURE_HEADER } from "./incident-alerts.js";
import { createIncidentResponse } from "./incident-response.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SMTP_PASSWORD_CANARY = "smtp-pass-CANARY-7f3a";
const WEBHOOK_SECRET = "whsec-CANARY-0123456789abcdef";
const CONTACT = "Dana Response <dana.response@seller.example>";

async function world(t: TestAuditLog) {
  const smtp = await openSmtpReceiver();
  const hook = await openWebhookReceiver();
  cleanups.push(
    () => smtp.close(),
    () => hook.close(),
  );
  const incidents: IncidentConfig = {
    contact: CONTACT,
    canaryOrderIds: ["CANARY-ORDER-1"],
    email: {
      smtpUrl: smtp.url,
      password: SMTP_PASSWORD_CANARY,
      from: "alerts@seller.example",
      to: ["oncall@seller.example"],
    },
    webhook: { url: hook.url, secret: WEBHOOK_SECRET },
  };
  const response = createIncidentResponse({
    db: t.database.db,
    clock: t.clock,
    audit: t.log,
    config: { incidents },
    trustedPublicKeys: [t.signer.publicKey],
    rules: { piiReveals: { threshold: 3, windowMs: 10 * MS.minute } },
  });
  cleanups.push(() => response.close());
  const reveal = (order: string, actor = "user:u-17") =>
    t.log.record({
      action: "pii.reveal",
      actor,
      outcome: "success",
      target: { account: "acc-1", order, purpose: "shipping" },
    });
  return { smtp, hook, response, reveal };
}

function verifySignature(header: string, body: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = createHmac("sha256", WEBHOOK_SECRET).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2] ?? "", "hex"));
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`incident response on ${target.name}`, () => {
    it("opens one incident at the threshold, alerts by e-mail and signed webhook, and keeps secrets out", async () => {
      const t = await openTestAuditLog(target.name);
      cleanups.push(async () => {
        await t.log.close();
        await t.dispose();
      });
      const { smtp, hook, response, reveal } = await world(t);

      await reveal("o-1");
      await reveal("o-2");
      const below = await response.runDetection();
      expect(below.entries).toBe(2);
      expect(below.opened).toEqual([]);
      expect(smtp.mails).toHaveLength(0);

      await reveal("o-3");
      const run = await response.runDetection();
      expect(run.entries).toBe(1);
      expect(run.opened).toHaveLength(1);
      const incident = run.opened[0];
      expect(incident).toMatchObject({
        rule: "bulk_pii_reveal",
        state: "detected",
        severity: "high",
        accountId: "acc-1",
        pointOfContact: CONTACT,
        detectedAt: "2026-11-28T12:00:00.000Z",
        deadlineAt: "2026-11-29T12:00:00.000Z",
      });

      expect(smtp.mails).toHaveLength(1);
      expect(smtp.mails[0]?.to).toEqual(["oncall@seller.example"]);
      expect(smtp.mails[0]?.raw).toContain(incident?.id);
      expect(hook.hooks).toHaveLength(1);
      const delivered = hook.hooks[0];
      const signature = String(delivered?.headers[WEBHOOK_SIGNATURE_HEADER]);
      expect(verifySignature(signature, delivered?.body ?? "")).toBe(true);
      expect(verifySignature(signature, (delivered?.body ?? "").replace("high", "low"))).toBe(false);
      expect(JSON.parse(delivered?.body ?? "{}")).toMatchObject({
        kind: "opened",
        incident: { id: incident?.id },
      });
      for (const text of [smtp.mails[0]?.raw ?? "", delivered?.body ?? ""]) {
        expect(text).not.toContain(SMTP_PASSWORD_CANARY);
        expect(text).not.toContain(WEBHOOK_SECRET);
        expect(text).not.toContain("dana.response");
        expect(text).not.toContain("shipping");
      }

      // The cursor holds: nothing is read or opened twice.
      // The next run reads only the detector's own incident.open entry.
      const again = await response.runDetection();
      expect(again).toMatchObject({ entries: 1, findings: [], opened: [] });
      expect((await response.runDetection()).entries).toBe(0);
      const list = await response.incidents.list();
      expect(list).toHaveLength(1);
      const audit = await t.database.db
        .selectFrom("audit_entries")
        .select("action")
        .where("action", "=", "incident.open")
        .execute();
      expect(audit).toHaveLength(1);
    });

    it("escalates at hour 20 of 24 when no notice is recorded, once; not when it was recorded", async () => {
      const t = await openTestAuditLog(target.name);
      cleanups.push(async () => {
        await t.log.close();
        await t.dispose();
      });
      const { smtp, hook, response } = await world(t);
      await t.log.record({
        action: "pii.reveal",
        actor: "x",
        outcome: "success",
        target: { order: "CANARY-ORDER-1" },
      });
      await t.log.record({
        action: "secret.read",
        actor: "debug.shell",
        outcome: "success",
        target: { secret: "lwa" },
      });
      const opened = (await response.runDetection()).opened;
      expect(opened.map((i) => i.rule).sort()).toEqual(["canary_read", "secret_read_unexpected"]);
      const [canary, secret] = [
        opened.find((i) => i.rule === "canary_read"),
        opened.find((i) => i.rule === "secret_read_unexpected"),
      ];
      await response.incidents.markNotified(secret?.id ?? "", "user:op");

      t.clock.advance(20 * MS.hour - MS.minute);
      expect((await response.runDetection()).escalated).toEqual([]);
      t.clock.advance(MS.minute);
      const at20 = await response.runDetection();
      expect(at20.escalated.map((i) => i.id)).toEqual([canary?.id]);
      expect(smtp.mails.at(-1)?.raw).toContain("ESCALATION");
      expect(JSON.parse(hook.hooks.at(-1)?.body ?? "{}")).toMatchObject({ kind: "escalated" });
      const mailsAfter = smtp.mails.length;
      t.clock.advance(MS.hour);
      expect((await response.runDetection()).escalated).toEqual([]);
      expect(smtp.mails).toHaveLength(mailsAfter);
      const detail = await response.incidents.show(canary?.id ?? "");
      expect(detail.timeline.map((e) => e.kind)).toEqual([
        "detected",
        "alert",
        "alert",
        "escalated",
        "alert",
        "alert",
      ]);
      expect(detail.incident.escalatedAt).toBe("2026-11-29T08:00:00.000Z");
    });

    it("moves only forward, audits every step; the evidence chain exposes an altered note", async () => {
      const t = await openTestAuditLog(target.name);
      cleanups.push(async () => {
        await t.log.close();
        await t.dispose();
      });
      const { response } = await world(t);
      await t.log.record({
        action: "pii.reveal",
        actor: "x",
        outcome: "success",
        target: { order: "CANARY-ORDER-1" },
      });
      const [incident] = (await response.runDetection()).opened;
      const id = incident?.id ?? "";
      const { incidents } = response;
      expect((await incidents.transition(id, "triaged", "user:op")).state).toBe("triaged");
      expect((await incidents.transition(id, "contained", "user:op", "revoked the session")).state).toBe(
        "contained",
      );
      for (const back of ["triaged", "detected", "contained"] as const) {
        const err = await incidents.transition(id, back, "user:op").catch((e: unknown) => e);
        expect(isAppError(err) && err.code).toBe("INCIDENT_TRANSITION_INVALID");
      }
      expect((await incidents.get(id)).state).toBe("contained");
      const steps = await t.database.db
        .selectFrom("audit_entries")
        .select(["outcome", "target"])
        .where("action", "=", "incident.transition")
        .orderBy("seq")
        .execute();
      expect(steps.map((s) => s.outcome)).toEqual(["success", "success", "denied", "denied", "denied"]);

      await incidents.addEvidence(
        id,
        "user:op",
        "Session list exported at 12:05, sha256 of export attached.",
      );
      await incidents.addEvidence(id, "user:op", "Reveal grants for user u-17 revoked.");
      await incidents.addEvidence(id, "user:op", "Firewall rule added.");
      const intact = await incidents.show(id);
      expect(intact.evidenceCheck).toMatchObject({ valid: true, notes: 3 });
      expect(intact.evidence[1]?.prevHash).toBe(intact.evidence[0]?.hash);

      await t.database.db
        .updateTable("incident_evidence")
        .set({ content: "Nothing happened." })
        .where("incident_id", "=", id)
        .where("seq", "=", 2)
        .execute();
      expect((await incidents.show(id)).evidenceCheck).toEqual({ valid: false, seq: 2, problem: "altered" });
      // Re-hashing the altered note does not help: the next note's link no longer matches.
      const { evidenceHash } = await import("./incident-evidence.js");
      const n2 = (await incidents.show(id)).evidence[1];
      if (!n2) throw new Error("note 2 missing");
      await t.database.db
        .updateTable("incident_evidence")
        .set({ hash: evidenceHash(id, n2) })
        .where("incident_id", "=", id)
        .where("seq", "=", 2)
        .execute();
      expect((await incidents.show(id)).evidenceCheck).toEqual({
        valid: false,
        seq: 3,
        problem: "broken_link",
      });

      const closed = await incidents.transition(id, "closed", "user:op");
      expect(closed.closedAt).toBe(t.clock.now().toISOString());
      const notices = await incidents.notices(id, "Seller Pilot");
      expect(notices.amazon.to).toBe("security@amazon.com");
      expect(notices.amazon.body).toContain(id);
      expect(notices.amazon.body).toContain(CONTACT);
      expect(notices.sellers.body).not.toContain("u-17");
    });

    it("a failing channel is on the timeline and does not stop detection or the other channel", async () => {
      const t = await openTestAuditLog(target.name);
      cleanups.push(async () => {
        await t.log.close();
        await t.dispose();
      });
      const { smtp, hook, response } = await world(t);
      hook.status.code = 500;
      await t.log.record({
        action: "pii.reveal",
        actor: "x",
        outcome: "denied",
        target: { order: "CANARY-ORDER-1" },
      });
      const run = await response.runDetection();
      expect(run.opened).toHaveLength(1);
      expect(hook.hooks).toHaveLength(1);
      expect(smtp.mails).toHaveLength(1);
      const detail = await response.incidents.show(run.opened[0]?.id ?? "");
      expect(detail.timeline.map((e) => [e.kind, e.detail])).toEqual([
        ["detected", expect.stringContaining("canary")],
        ["alert", "opened alert sent by email"],
        ["alert_failed", "opened alert by webhook failed"],
      ]);
    });

    it("overlapping detector runs open one incident, not two", async () => {
      const t = await openTestAuditLog(target.name);
      cleanups.push(async () => {
        await t.log.close();
        await t.dispose();
      });
      const { response } = await world(t);
      await t.log.record({
        action: "pii.reveal",
        actor: "x",
        outcome: "denied",
        target: { order: "CANARY-ORDER-1" },
      });
      const runs = await Promise.all([
        response.runDetection(),
        response.runDetection(),
        response.runDetection(),
      ]);
      expect(runs.flatMap((r) => r.opened)).toHaveLength(1);
      const list = await response.incidents.list();
      expect(list).toHaveLength(1);
      expect(runs.filter((r) => r.saved).length).toBeGreaterThanOrEqual(1);
      // Once closed, the same finding opens a new incident.
      await response.incidents.transition(list[0]?.id ?? "", "closed", "user:op");
      await t.log.record({
        action: "pii.reveal",
        actor: "x",
        outcome: "denied",
        target: { order: "CANARY-ORDER-1" },
      });
      expect((await response.runDetection()).opened).toHaveLength(1);
    });

    it("an aborted detection run (shutdown) opens nothing and leaves the cursor for the next run", async () => {
      const t = await openTestAuditLog(target.name);
      cleanups.push(async () => {
        await t.log.close();
        await t.dispose();
      });
      const { response, reveal } = await world(t);
      for (const order of ["o-1", "o-2", "o-3"]) await reveal(order);
      const stop = new Error("shutting down");
      await expect(response.runDetection({ signal: AbortSignal.abort(stop) })).rejects.toBe(stop);
      expect(await response.incidents.list()).toEqual([]);
      const next = await response.runDetection();
      expect(next.entries).toBe(3);
      expect(next.opened).toHaveLength(1);
    });

    it("reads the sync throttle counters each run and opens an incident on sustained growth", async () => {
      const t = await openTestAuditLog(target.name);
      cleanups.push(async () => {
        await t.log.close();
        await t.dispose();
      });
      const { response } = await world(t);
      const now = t.clock.now().toISOString();
      await t.database.db
        .insertInto("seller_accounts")
        .values({
          id: "acc-t",
          name: "Brand",
          region: "eu",
          status: "active",
          selling_partner_id: null,
          contact_email: null,
          created_at: now,
          updated_at: now,
          organisation_id: null,
          authorized_at: null,
          revoked_at: null,
        })
        .execute();
      const setCount = (n: number) =>
        t.database.db
          .insertInto("sync_checkpoints")
          .values({
            account_id: "acc-t",
            stream: "orders",
            cursor: null,
            updated_at: now,
            last_success_at: null,
            last_error_code: null,
            last_error_at: null,
            throttled_count: n,
          })
          .onConflict((oc) => oc.columns(["account_id", "stream"]).doUpdateSet({ throttled_count: n }))
          .execute();
      // Default rule: 3 checks in a row with 10+ new 429s each.
      const opened: string[] = [];
      for (const n of [0, 12, 25, 40]) {
        await setCount(n);
        t.clock.advance(MS.minute);
        opened.push(...(await response.runDetection()).opened.map((i) => `${i.rule}:${i.accountId}`));
      }
      expect(opened).toEqual(["sustained_throttling:acc-t"]);
    });

    it("opens a critical incident when the audit chain stops verifying", async () => {
      const t = await openTestAuditLog(target.name);
      cleanups.push(async () => {
        await t.log.close();
        await t.dispose();
      });
      const { response } = await world(t);
      for (let i = 0; i < 3; i += 1)
        await t.log.record({ action: "test.event", actor: "a", outcome: "success" });
      expect((await response.runDetection()).opened).toEqual([]);
      await withoutAuditTriggers(t.database, () =>
        t.database.db.updateTable("audit_entries").set({ actor: "b" }).where("seq", "=", 2).execute(),
      );
      // Verification is periodic (hourly by default): not yet due...
      t.clock.advance(30 * MS.minute);
      expect((await response.runDetection()).verified).toBe(false);
      t.clock.advance(30 * MS.minute);
      const run = await response.runDetection();
      expect(run.verified).toBe(true);
      expect(run.opened.map((i) => [i.rule, i.severity])).toEqual([["audit_chain_broken", "critical"]]);
      expect(run.opened[0]?.summary).toContain("altered at entry 2");
    });
  });
}
