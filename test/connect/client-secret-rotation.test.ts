import { afterEach, describe, expect, it } from "vitest";
import { createClientSecretRotation } from "../../src/connect/client-secret-rotation.js";
import { MS } from "../../src/platform/clock.js";
import { CLIENT_SECRET_NAME } from "../../src/secrets/client-secret-age.js";
import { openSpApiRig, type SpApiRig } from "../support/spapi.js";
import { STORES } from "../support/stores.js";

type Notification = {
  payload: { applicationOAuthClientNewSecret: { newClientSecret: string; clientId: string } };
  notificationMetadata: { applicationId: string };
};

async function notifications(rig: SpApiRig): Promise<Notification[]> {
  const res = await fetch(`${rig.h.endpoint}/_sandbox/notifications`);
  return ((await res.json()) as { notifications: Notification[] }).notifications;
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`client secret rotation on ${target.name}`, () => {
    let rig: SpApiRig;
    afterEach(async () => {
      await rig.dispose();
    });

    const rotationFor = (r: SpApiRig) =>
      createClientSecretRotation({
        client: r.client,
        lwa: r.lwa,
        secrets: r.protection.secrets,
        audit: { record: async (e) => void r.events.push(e) },
        // The vault dates its secrets by the protection's clock; ages are read on the same one.
        clock: r.protection.clock,
        clientId: r.h.running.sandbox.clientId,
        applicationId: r.h.running.sandbox.applicationId,
      });

    it("asks Amazon from day 150, verifies the notified secret with LWA, promotes it and retires the old one", async () => {
      rig = await openSpApiRig(target.name, { sandbox: { orders: 10 } });
      const rotation = rotationFor(rig);
      const old = rig.h.running.sandbox.clientSecret();

      expect((await rotation.requestIfDue()).requested).toBe(false);
      expect(await notifications(rig)).toHaveLength(0);
      const later = (ms: number) => {
        rig.advance(ms);
        rig.protection.clock.advance(ms);
      };
      later(149 * MS.day);
      expect((await rotation.requestIfDue()).requested).toBe(false);
      later(1 * MS.day);
      const asked = await rotation.requestIfDue();
      expect(asked).toMatchObject({ requested: true, age: { status: "warn", ageDays: 150 } });

      const [note] = await notifications(rig);
      expect(note).toBeDefined();
      const accepted = await rotation.accept(note, "operator:cli");
      const meta = await rig.protection.secrets.metadata(CLIENT_SECRET_NAME);
      expect(meta?.versions.map((v) => v.state)).toEqual(["current"]);
      expect(meta?.versions[0]?.version).toBe(accepted.version);
      const fresh = note?.payload.applicationOAuthClientNewSecret.newClientSecret;
      expect(fresh).not.toBe(old);
      expect(await rig.protection.secrets.get(CLIENT_SECRET_NAME, { component: "test" })).toBe(fresh);
      expect((await rotation.age()).ageDays).toBe(0);
      // The next token refresh authenticates with the new secret (the sandbox accepts it).
      rig.lwa.invalidate(rig.accounts[0] as string);
      await expect(rig.lwa.accessToken(rig.accounts[0] as string)).resolves.toMatch(/^Atza\|/);
      const actions = rig.events.map((e) => `${e.action}:${e.outcome}`);
      expect(actions).toEqual(
        expect.arrayContaining(["client_secret.rotation_requested:success", "client_secret.accept:success"]),
      );
      // No secret in any audit event.
      expect(JSON.stringify(rig.events)).not.toContain(fresh);
    });

    it("refuses a notification for another client and a secret LWA does not accept, keeping the current one", async () => {
      rig = await openSpApiRig(target.name, { sandbox: { orders: 10 } });
      const rotation = rotationFor(rig);
      const current = rig.h.running.sandbox.clientSecret();
      const forged = {
        notificationType: "APPLICATION_OAUTH_CLIENT_NEW_SECRET",
        payload: {
          applicationOAuthClientNewSecret: {
            clientId: rig.h.running.sandbox.clientId,
            newClientSecret: "amzn1.oa2-cs.v1.not-a-secret-amazon-issued",
            newClientSecretExpiryTime: "2027-01-01T00:00:00Z",
            oldClientSecretExpiryTime: "2026-12-01T00:00:00Z",
          },
        },
        notificationMetadata: { applicationId: rig.h.running.sandbox.applicationId, notificationId: "n-1" },
      };
      await expect(rotation.accept(forged, "operator:cli")).rejects.toMatchObject({
        code: "CLIENT_SECRET_REJECTED",
      });
      const otherClient = structuredClone(forged);
      otherClient.payload.applicationOAuthClientNewSecret.clientId = "amzn1.application-oa2-client.other";
      await expect(rotation.accept(otherClient, "operator:cli")).rejects.toMatchObject({
        code: "CLIENT_SECRET_NOTIFICATION_INVALID",
      });
      await expect(rotation.accept({ hello: "world" }, "operator:cli")).rejects.toMatchObject({
        code: "CLIENT_SECRET_NOTIFICATION_INVALID",
      });
      expect(await rig.protection.secrets.get(CLIENT_SECRET_NAME, { component: "test" })).toBe(current);
      const meta = await rig.protection.secrets.metadata(CLIENT_SECRET_NAME);
      expect(meta?.versions.map((v) => v.state)).toEqual(["current"]);
      expect(JSON.stringify(rig.events)).not.toContain("not-a-secret-amazon-issued");
    });
  });
}
