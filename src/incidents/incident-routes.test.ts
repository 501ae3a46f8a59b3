import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthWorld, openAuthWorld } from "../../test/support/auth-world.js";
import { STORES } from "../../test/support/stores.js";
import type { Finding } from "./incident-rules.js";
import { createIncidentService } from "./incident-service.js";

function finding(subject: string, accountId: string | null): Finding {
  return {
    rule: "canary_read",
    severity: "critical",
    subject,
    title: "Planted canary order was accessed",
    summary: `user:x attempted pii.reveal on canary order ${subject}`,
    accountId,
    at: "2026-11-28T12:00:00.000Z",
  };
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`incident routes on ${target.name}`, () => {
    let w: AuthWorld;
    const ids = { a1: "", b1: "", wide: "" };
    beforeAll(async () => {
      w = await openAuthWorld(target.name);
      const service = createIncidentService({
        db: w.t.db,
        clock: w.t.clock,
        audit: w.t.audit,
        pointOfContact: "Incident desk <ir@agency.example>",
      });
      ids.a1 = (await service.openFromFinding(finding("C-A1", w.a1))).incident.id;
      ids.b1 = (await service.openFromFinding(finding("C-B1", w.b1))).incident.id;
      ids.wide = (await service.openFromFinding(finding("C-WIDE", null))).incident.id;
    }, 60_000);
    afterAll(async () => {
      await w?.t.close();
    });

    it("owners list and manage their account's incidents; other accounts' and instance-wide ones stay hidden", async () => {
      const owner = await w.signIn(await w.person("owner", w.orgA, w.a1));
      const base = `/api/accounts/${w.a1}/incidents`;
      const list = await w.call({ method: "GET", url: base, as: owner });
      expect(list.statusCode).toBe(200);
      expect(list.json().incidents.map((i: { id: string }) => i.id)).toEqual([ids.a1]);
      for (const other of [ids.b1, ids.wide]) {
        const res = await w.call({ method: "GET", url: `${base}/${other}`, as: owner });
        expect(res.statusCode).toBe(404);
        expect(res.json().error.code).toBe("INCIDENT_NOT_FOUND");
      }
      // Another organisation's account: not found, whatever the incident id.
      const foreign = await w.call({ method: "GET", url: `/api/accounts/${w.b1}/incidents`, as: owner });
      expect(foreign.statusCode).toBe(404);

      const shown = await w.call({ method: "GET", url: `${base}/${ids.a1}`, as: owner });
      expect(shown.statusCode).toBe(200);
      expect(shown.json()).toMatchObject({
        incident: { id: ids.a1, state: "detected", deadlineAt: "2026-11-29T12:00:00.000Z" },
        timeline: [{ kind: "detected" }],
        evidenceCheck: { valid: true, notes: 0 },
      });

      const moved = await w.call({
        method: "POST",
        url: `${base}/${ids.a1}/transition`,
        as: owner,
        body: { state: "contained", note: "tokens revoked" },
      });
      expect(moved.statusCode).toBe(200);
      expect(moved.json().incident.state).toBe("contained");
      const back = await w.call({
        method: "POST",
        url: `${base}/${ids.a1}/transition`,
        as: owner,
        body: { state: "triaged" },
      });
      expect(back.statusCode).toBe(409);
      expect(back.json().error.code).toBe("INCIDENT_TRANSITION_INVALID");

      const note = await w.call({
        method: "POST",
        url: `${base}/${ids.a1}/evidence`,
        as: owner,
        body: { content: "Export of the session table, sha256 0f3c…" },
      });
      expect(note.statusCode).toBe(200);
      expect(note.json().note.hash).toMatch(/^[0-9a-f]{64}$/);

      const notice = await w.call({ method: "GET", url: `${base}/${ids.a1}/notice`, as: owner });
      expect(notice.json().amazon.to).toBe("security@amazon.com");
      const notified = await w.call({ method: "POST", url: `${base}/${ids.a1}/notified`, as: owner });
      expect(notified.statusCode).toBe(200);
      expect(notified.json().incident.notifiedAt).toBe(w.t.clock.now().toISOString());
    });

    it("refuses roles without incidents:read or :manage, and shows instance-wide incidents to instance admins", async () => {
      const analyst = await w.signIn(await w.person("analyst", w.orgA, w.a1));
      const res = await w.call({ method: "GET", url: `/api/accounts/${w.a1}/incidents`, as: analyst });
      expect(res.statusCode).toBe(403);
      const transition = await w.call({
        method: "POST",
        url: `/api/accounts/${w.a1}/incidents/${ids.a1}/transition`,
        as: analyst,
        body: { state: "closed" },
      });
      expect(transition.statusCode).toBe(403);
      expect((await w.call({ method: "GET", url: `/api/accounts/${w.a1}/incidents` })).statusCode).toBe(401);

      const adminPerson = await w.person("owner", w.orgA, w.a1);
      await w.t.db
        .updateTable("users")
        .set({ is_instance_admin: 1 })
        .where("id", "=", adminPerson.id)
        .execute();
      const admin = await w.signIn(adminPerson);
      const list = await w.call({ method: "GET", url: `/api/accounts/${w.a1}/incidents`, as: admin });
      expect(new Set(list.json().incidents.map((i: { id: string }) => i.id))).toEqual(
        new Set([ids.a1, ids.wide]),
      );
    });
  });
}
