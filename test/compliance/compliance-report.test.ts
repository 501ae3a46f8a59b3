import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createSellerAccount } from "../../src/accounts/accounts-repo.js";
import { loadConfig } from "../../src/config/config.js";
import { createUser, markUserDisabled } from "../../src/identity/users-repo.js";
import { insertIncident } from "../../src/incidents/incident-repo.js";
import { MS, systemClock } from "../../src/platform/clock.js";
import { createLegalHold } from "../../src/retention/retention-repo.js";
import { openRuntime, type Runtime } from "../../src/runtime.js";
import { runCliCaptured } from "../support/cli.js";
import { capturingLogger } from "../support/log-capture.js";
import { delivered, storeOrders } from "../support/retention.js";
import { createPostgresDatabase, STORES, type StoreName, tempDir } from "../support/stores.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const CANARY = {
  lwaSecret: "amzn1.oa2-cs.v1.CANARYlwaSECRET0123456789abcdef",
  smtpPassword: "CANARY-smtp-pass-7f3a91",
  webhookSecret: "CANARY-webhook-secret-0c9e2d",
  webhookUrlPassword: "CANARYhookPW77",
};

async function instance(store: StoreName, extraEnv: Record<string, string> = {}) {
  const tmp = tempDir("sp-compliance-");
  cleanups.push(() => tmp.remove());
  const pg = store === "postgres" ? await createPostgresDatabase() : null;
  if (pg) cleanups.push(() => pg.drop());
  const env = {
    SELLER_PILOT_DATA_DIR: path.join(tmp.dir, "data"),
    SELLER_PILOT_LOG_LEVEL: "warn",
    ...(pg ? { DATABASE_URL: pg.url } : {}),
    ...extraEnv,
  };
  const cli = (argv: string[]) => runCliCaptured(argv, { env, cwd: tmp.dir });
  const withRt = async (seed: (rt: Runtime) => Promise<void>) => {
    const rt = await openRuntime({
      config: loadConfig(env, tmp.dir),
      clock: systemClock,
      logger: capturingLogger("warn").logger,
    });
    try {
      await seed(rt);
    } finally {
      await rt.close();
    }
  };
  return { cli, env, dir: tmp.dir, withRt };
}

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON report
const control = (report: any, id: string) => report.controls.find((c: { id: string }) => c.id === id);

describe("seller-pilot compliance report (CLI usage)", () => {
  it("documents the exit code and refuses bad options with exit 2", async () => {
    const { cli } = await instance("sqlite");
    const help = await cli(["compliance", "report", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("exit 1 when any control failed");
    for (const argv of [
      ["compliance", "report", "--json", "--html"],
      ["compliance", "report", "--at", "yesterday"],
      ["compliance", "report", "--at", "2026-13-45"],
      ["compliance", "bogus"],
    ]) {
      expect((await cli(argv)).code, argv.join(" ")).toBe(2);
    }
  });
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`seller-pilot compliance report on ${target.name}`, () => {
    it("reports every control with stable keys; controls turn failed as the state changes", async () => {
      const { cli, withRt } = await instance(target.name);
      const now = systemClock.now();
      const deliveredAt = new Date(now.getTime() - MS.day);
      let accountId = "";
      await withRt(async (rt) => {
        const account = await createSellerAccount(
          rt.database.db,
          rt.fields,
          { name: "Brand A", region: "na" },
          now,
        );
        accountId = account.id;
        await storeOrders(
          rt.database.db,
          rt.fields,
          account.id,
          [delivered("111-0000010-0000001", deliveredAt.toISOString())],
          now,
        );
      });

      const clean = await cli(["compliance", "report", "--json"]);
      const base = clean.json();
      expect(base).toMatchObject({ kind: "seller-pilot-compliance-report", version: 1 });
      expect(base.instance.store).toBe(target.name);
      expect(base.controls.map((c: { id: string }) => c.id)).toEqual([
        "transport.tls",
        "encryption.at_rest",
        "access.control",
        "audit.log",
        "retention.policy",
        "incidents.response",
        "spapi.least_privilege",
      ]);
      for (const c of base.controls) {
        expect(Object.keys(c).sort()).toEqual(
          ["area", "evidence", "finding", "id", "requirement", "status", "title"].sort(),
        );
        expect(["ok", "warning", "failed"]).toContain(c.status);
      }
      const { summary } = base;
      expect(summary.ok + summary.warning + summary.failed).toBe(summary.total);
      expect(clean.code).toBe(summary.failed > 0 ? 1 : 0);
      expect(control(base, "access.control").status).toBe("ok");
      expect(control(base, "audit.log").evidence.chainValid).toBe(true);
      expect(control(base, "retention.policy").evidence.dataTypes).toContainEqual(
        expect.objectContaining({ type: "buyer_pii", records: 1, overdue: 0 }),
      );
      expect(control(base, "encryption.at_rest").evidence.store.kind).toBe(target.name);
      expect(control(base, "encryption.at_rest").evidence.sellerDataKeys).toBe(1);
      if (target.name === "postgres")
        expect(control(base, "encryption.at_rest").evidence.store.diskEncryption).toContain("operator");
      expect(control(base, "spapi.least_privilege").evidence.accounts).toEqual([
        expect.objectContaining({ id: accountId, name: "Brand A", status: "active" }),
      ]);

      // Overdue buyer data (as of 31 days after delivery), a legal hold, an incident past its 24-hour
      // notice deadline and an active user with a role but no second factor.
      await withRt(async (rt) => {
        const db = rt.database.db;
        await createLegalHold(
          db,
          {
            accountId,
            amazonOrderId: "111-0000099-0000099",
            reason: "litigation",
            owner: "legal",
            createdBy: "test",
            expiresAt: null,
          },
          now,
        );
        await insertIncident(db, {
          id: "inc-test-1",
          rule: "audit_chain_broken",
          dedup_key: "test",
          severity: "high",
          state: "detected",
          title: "test incident",
          summary: "test",
          account_id: null,
          point_of_contact: "security@example.com",
          detected_at: new Date(now.getTime() - 2 * MS.day).toISOString(),
          deadline_at: new Date(now.getTime() - MS.day).toISOString(),
          notified_at: null,
          escalated_at: null,
          closed_at: null,
          updated_at: now.toISOString(),
          occurrences: 1,
        });
        const user = await createUser(
          db,
          { organisationId: null, email: "nomfa@example.com", displayName: "No Mfa" },
          now,
        );
        await db
          .insertInto("memberships")
          .values({
            user_id: user.id,
            seller_account_id: accountId,
            role: "viewer",
            granted_by: "test",
            granted_at: now.toISOString(),
          })
          .execute();
        // Not counted: a user with a passkey, and a disabled user without any second factor.
        const withKey = await createUser(
          db,
          { organisationId: null, email: "haskey@example.com", displayName: "Has Key" },
          now,
        );
        const gone = await createUser(
          db,
          { organisationId: null, email: "gone@example.com", displayName: "Gone User" },
          now,
        );
        await markUserDisabled(db, gone.id, now);
        for (const u of [withKey, gone])
          await db
            .insertInto("memberships")
            .values({
              user_id: u.id,
              seller_account_id: accountId,
              role: "viewer",
              granted_by: "test",
              granted_at: now.toISOString(),
            })
            .execute();
        await db
          .insertInto("passkey_credentials")
          .values({
            id: "cred-test-1",
            user_id: withKey.id,
            public_key: "AAAA",
            counter: 0,
            transports: "[]",
            device_type: "singleDevice",
            backed_up: 0,
            created_at: now.toISOString(),
            last_used_at: null,
          })
          .execute();
      });
      const at = new Date(deliveredAt.getTime() + 31 * MS.day).toISOString();
      const worse = await cli(["compliance", "report", "--json", "--at", at]);
      expect(worse.code).toBe(1);
      const report = worse.json();
      expect(report.asOf).toBe(at);
      const retention = control(report, "retention.policy");
      expect(retention.status).toBe("failed");
      expect(retention.evidence.dataTypes).toContainEqual(
        expect.objectContaining({ type: "buyer_pii", records: 1, overdue: 1 }),
      );
      expect(retention.evidence.legalHoldsActive).toBe(1);
      const incidents = control(report, "incidents.response");
      expect(incidents.status).toBe("failed");
      expect(incidents.evidence.open).toEqual([
        expect.objectContaining({ id: "inc-test-1", pastDeadline: true }),
      ]);
      const access = control(report, "access.control");
      expect(access.status).toBe("failed");
      expect(access.evidence.activeUsersWithoutSecondFactor).toBe(1);
      expect(access.evidence.activeUsers).toBe(2);
      expect(report.summary.failed).toBeGreaterThanOrEqual(3);
      expect(worse.stdout).not.toContain("nomfa@example.com");

      const trail = await cli(["audit", "export", "--since", now.toISOString().slice(0, 10)]);
      const recorded = trail.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .filter((e) => e.action === "compliance.report");
      expect(recorded.at(-1)?.target).toMatchObject({ failed: String(report.summary.failed) });

      const text = await cli(["compliance", "report", "--at", at]);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(/FAILED\s+retention\.policy/);
      expect(text.stdout).toMatch(/FAILED\s+incidents\.response/);
    });

    it("escapes a hostile account name in HTML, never prints a configured secret, writes --out with mode 600", async () => {
      const { cli, withRt, dir, env } = await instance(target.name, {
        SELLER_PILOT_LWA_CLIENT_ID: "amzn1.application-oa2-client.canaryclientid",
        SELLER_PILOT_LWA_CLIENT_SECRET: CANARY.lwaSecret,
        SELLER_PILOT_APP_ID: "amzn1.sp.solution.canary",
        SELLER_PILOT_ALERT_SMTP_URL: "smtp://alerts@127.0.0.1:2525",
        SELLER_PILOT_ALERT_SMTP_PASSWORD: CANARY.smtpPassword,
        SELLER_PILOT_ALERT_EMAIL_FROM: "alerts@example.com",
        SELLER_PILOT_ALERT_EMAIL_TO: "oncall@example.com",
        SELLER_PILOT_ALERT_WEBHOOK_URL: `https://hook:${CANARY.webhookUrlPassword}@hooks.example.com/x`,
        SELLER_PILOT_ALERT_WEBHOOK_SECRET: CANARY.webhookSecret,
      });
      const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>&'`;
      await withRt(async (rt) => {
        await createSellerAccount(
          rt.database.db,
          rt.fields,
          { name: hostile, region: "eu" },
          systemClock.now(),
        );
      });
      const outputs: string[] = [];
      for (const flags of [[], ["--json"], ["--html"]]) {
        const run = await cli(["compliance", "report", ...flags]);
        expect(run.stderr).toBe("");
        outputs.push(run.stdout, run.stderr);
      }
      const html = outputs[4] ?? "";
      expect(html).toContain(
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;&#39;",
      );
      expect(html).not.toContain("<script");
      expect(html).not.toContain("<img");
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
      expect(html).toMatch(/^<!doctype html>/);

      const file = path.join(dir, "report.html");
      await fs.writeFile(file, "old", { mode: 0o644 });
      const written = await cli(["compliance", "report", "--html", "--out", "report.html"]);
      expect(written.stdout).toBe("");
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      outputs.push(await fs.readFile(file, "utf8"));
      const jsonFile = path.join(dir, "new.json");
      await cli(["compliance", "report", "--json", "--out", jsonFile]);
      expect((await fs.stat(jsonFile)).mode & 0o777).toBe(0o600);
      const fromFile = JSON.parse(await fs.readFile(jsonFile, "utf8"));
      expect(control(fromFile, "incidents.response").evidence.alertChannels).toEqual({
        email: { configured: true, recipients: 1 },
        webhook: { configured: true, signed: true },
      });
      expect(control(fromFile, "encryption.at_rest").evidence.clientSecret).toMatchObject({
        status: "ok",
        ageDays: 0,
      });
      outputs.push(await fs.readFile(jsonFile, "utf8"));

      const masterKey = await fs.readFile(path.join(env.SELLER_PILOT_DATA_DIR, "master.key"));
      const all = outputs.join("\n");
      for (const secret of [
        ...Object.values(CANARY),
        "canaryclientid",
        masterKey.toString("utf8").trim(),
        masterKey.toString("base64"),
        masterKey.toString("hex"),
      ])
        expect(all).not.toContain(secret);
    });
  });
}
