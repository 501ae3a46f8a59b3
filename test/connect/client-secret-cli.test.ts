import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type SandboxHarness, startHarness } from "../../sandbox/test-harness.js";
import { runCliCaptured } from "../support/cli.js";
import { tempDir } from "../support/stores.js";

describe("seller-pilot client-secret (connected to an SP-API application)", () => {
  let h: SandboxHarness;
  let data: ReturnType<typeof tempDir>;
  afterEach(async () => {
    await h.close();
    data.remove();
  });

  it("asks Amazon for a new secret, then accepts the notified one from a file: verified, in use, old one retired", async () => {
    h = await startHarness({ orders: 10 });
    data = tempDir("sp-secret-cli-");
    const sandbox = h.running.sandbox;
    const env = {
      SELLER_PILOT_DATA_DIR: data.dir,
      SELLER_PILOT_LWA_CLIENT_ID: sandbox.clientId,
      SELLER_PILOT_LWA_CLIENT_SECRET: sandbox.clientSecret(),
      SELLER_PILOT_APP_ID: sandbox.applicationId,
      SELLER_PILOT_SPAPI_ENDPOINT: h.endpoint,
      SELLER_PILOT_LWA_TOKEN_URL: h.running.lwaTokenUrl,
    };
    const cli = (args: string[], stdin?: string) =>
      runCliCaptured(args, { env, cwd: data.dir, ...(stdin === undefined ? {} : { stdin }) });

    const notDue = await cli(["client-secret", "rotate", "--json"]);
    expect(notDue.code).toBe(0);
    expect(notDue.json()).toMatchObject({ requested: false, age: { status: "ok", ageDays: 0 } });
    expect(sandbox.context.lwa.notifications).toHaveLength(0);

    const asked = await cli(["client-secret", "rotate", "--force", "--json"]);
    expect(asked.code).toBe(0);
    expect(asked.json()).toMatchObject({ requested: true });
    const [notification] = sandbox.context.lwa.notifications;
    const file = path.join(data.dir, "notification.json");
    writeFileSync(file, JSON.stringify(notification));

    const accepted = await cli(["client-secret", "accept", "--file", file, "--json"]);
    expect(accepted.code).toBe(0);
    expect(accepted.json()).toMatchObject({ version: 2 });
    const fresh = sandbox.clientSecret();
    expect(fresh).not.toBe(env.SELLER_PILOT_LWA_CLIENT_SECRET);
    // Nothing the command printed carries either secret.
    for (const out of [asked, accepted]) {
      expect(out.stdout + out.stderr).not.toContain(fresh);
      expect(out.stdout + out.stderr).not.toContain(env.SELLER_PILOT_LWA_CLIENT_SECRET);
    }

    const doctor = await cli(["doctor", "--json"]);
    const check = (doctor.json().checks as Array<{ name: string; status: string; detail?: string }>).find(
      (c) => /client secret/i.test(c.name),
    );
    expect(check?.status).toBe("ok");

    // A second accept of the same notification: the secret is already current, LWA still accepts it; a junk
    // notification is refused with its own code and changes nothing.
    const junk = await cli(["client-secret", "accept", "--json"], '{"notificationType":"OTHER"}');
    expect(junk.code).toBe(1);
    expect(junk.json().error.code).toBe("CLIENT_SECRET_NOTIFICATION_INVALID");
  }, 60_000);

  it("refuses in demo mode, where the sandbox's secret derives from the instance", async () => {
    h = await startHarness({ orders: 10 });
    data = tempDir("sp-secret-demo-");
    const out = await runCliCaptured(["client-secret", "rotate", "--force", "--json"], {
      env: { SELLER_PILOT_DATA_DIR: data.dir },
      cwd: data.dir,
    });
    expect(out.code).toBe(1);
    expect(out.json().error.code).toBe("NOT_READY");
  }, 60_000);
});
