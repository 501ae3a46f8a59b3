// From a real sign-in over HTTP to an incident: the session's audit entry carries the client's network (never
// its address), and detection notices an owner signing in from a network it has not seen them use.
import { afterEach, describe, expect, it } from "vitest";
import { createIncidentResponse } from "../src/incidents/incident-response.js";
import { type AuthWorld, openAuthWorld } from "./support/auth-world.js";
import { STORES } from "./support/stores.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`sign-in networks on ${target.name}`, () => {
    let w: AuthWorld;
    afterEach(async () => {
      await w.t.close();
    });

    it("audits the /24 of each sign-in and opens one incident when an owner arrives from a new one", async () => {
      w = await openAuthWorld(target.name);
      const owner = await w.person("owner", w.orgA, w.a1);
      const viewer = await w.person("viewer", w.orgA, w.a1);
      const ir = createIncidentResponse({
        db: w.t.db,
        clock: w.t.clock,
        audit: w.t.audit,
        config: w.t.config,
      });
      try {
        await w.signInPending(owner, "198.51.100.23");
        await w.signInPending(viewer, "198.51.100.24");
        await w.t.audit.flush();
        const starts = await w.t.db
          .selectFrom("audit_entries")
          .select("target")
          .where("action", "=", "session.start")
          .execute();
        expect(starts.map((s) => JSON.parse(s.target).network)).toEqual([
          "198.51.100.0/24",
          "198.51.100.0/24",
        ]);
        expect(JSON.stringify(starts)).not.toContain("198.51.100.23");
        await ir.runDetection();
        expect(await ir.incidents.list()).toEqual([]);

        // Same network again: nothing. A new network: the owner's, not the viewer's, is an incident.
        await w.signInPending(owner, "198.51.100.99");
        await w.signInPending(viewer, "203.0.113.7");
        await w.signInPending(owner, "203.0.113.8");
        await w.t.audit.flush();
        await ir.runDetection();
        const opened = await ir.incidents.list();
        expect(opened).toHaveLength(1);
        expect(opened[0]).toMatchObject({ rule: "admin_new_network" });
        expect(JSON.stringify(opened)).not.toContain("203.0.113.8");
      } finally {
        ir.close();
      }
    });
  });
}
