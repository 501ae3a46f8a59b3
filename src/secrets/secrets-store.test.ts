import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openTestProtection, type TestProtection } from "../../test/support/protection.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { CLIENT_SECRET_NAME, clientSecretAge } from "./client-secret-age.js";
import { INSTANCE_ACCOUNT } from "./secrets-store.js";

const open: TestProtection[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`secrets store on ${target.name}`, () => {
    async function protection() {
      const p = await openTestProtection(target.name);
      open.push(p);
      return p;
    }

    it("stores, reads and replaces a secret, tracking who used it and when", async () => {
      const { secrets, clock } = await protection();
      expect(
        await secrets.put("lwa.refresh_token.acct-1", "Atzr|one", { accountId: "acct-1", actor: "connect" }),
      ).toBe(1);
      clock.advance(MS.hour);
      expect(await secrets.get("lwa.refresh_token.acct-1", { component: "amazon-client" })).toBe("Atzr|one");
      expect(
        await secrets.put("lwa.refresh_token.acct-1", "Atzr|two", { accountId: "acct-1", actor: "connect" }),
      ).toBe(2);
      expect(await secrets.get("lwa.refresh_token.acct-1", { component: "sync" })).toBe("Atzr|two");
      const meta = await secrets.metadata("lwa.refresh_token.acct-1");
      expect(meta?.accountId).toBe("acct-1");
      expect(meta?.versions.map((v) => [v.version, v.state, v.lastUsedBy])).toEqual([
        [1, "previous", "amazon-client"],
        [2, "current", "sync"],
      ]);
      expect(meta?.versions[0]?.lastUsedAt).toBe("2026-11-28T13:00:00.000Z");
      await expect(secrets.get("absent.secret", { component: "x" })).rejects.toMatchObject({
        code: "SECRET_NOT_FOUND",
      });
    });

    it("stages a client secret, promotes it after verification, and retires the old one", async () => {
      const { secrets } = await protection();
      await secrets.put(CLIENT_SECRET_NAME, "amzn1.oa2-cs.v1.old", {
        accountId: INSTANCE_ACCOUNT,
        actor: "config",
      });
      await expect(secrets.promote(CLIENT_SECRET_NAME, { actor: "rotation" })).rejects.toMatchObject({
        code: "SECRET_NO_PENDING",
      });
      await secrets.stage(CLIENT_SECRET_NAME, "amzn1.oa2-cs.v1.new", {
        accountId: INSTANCE_ACCOUNT,
        actor: "notification",
      });
      expect(await secrets.get(CLIENT_SECRET_NAME, { component: "lwa" })).toBe("amzn1.oa2-cs.v1.old");
      expect(await secrets.getStaged(CLIENT_SECRET_NAME, "pending", { component: "rotation" })).toBe(
        "amzn1.oa2-cs.v1.new",
      );
      expect(await secrets.promote(CLIENT_SECRET_NAME, { actor: "rotation" })).toEqual({
        current: 2,
        previous: 1,
      });
      expect(await secrets.get(CLIENT_SECRET_NAME, { component: "lwa" })).toBe("amzn1.oa2-cs.v1.new");
      expect(await secrets.getStaged(CLIENT_SECRET_NAME, "previous", { component: "rotation" })).toBe(
        "amzn1.oa2-cs.v1.old",
      );
      expect(await secrets.retirePrevious(CLIENT_SECRET_NAME, { actor: "rotation" })).toBe(1);
      expect(await secrets.getStaged(CLIENT_SECRET_NAME, "previous", { component: "rotation" })).toBeNull();
    });

    it("keeps a secret with its owning account and deletes by account", async () => {
      const { secrets } = await protection();
      await secrets.put("lwa.refresh_token.a", "Atzr|a", { accountId: "a", actor: "t" });
      await secrets.put("lwa.refresh_token.b", "Atzr|b", { accountId: "b", actor: "t" });
      await expect(
        secrets.put("lwa.refresh_token.a", "x", { accountId: "b", actor: "t" }),
      ).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
      });
      expect(await secrets.removeForAccount("a", { actor: "t" })).toBe(1);
      expect(await secrets.names()).toEqual(["lwa.refresh_token.b"]);
    });

    it("refuses bad names and oversized values without storing anything", async () => {
      const { secrets } = await protection();
      for (const name of ["", "Upper", "has space", "../etc", "x".repeat(201)]) {
        await expect(secrets.put(name, "v", { accountId: "a", actor: "t" })).rejects.toMatchObject({
          code: "VALIDATION_FAILED",
        });
      }
      await expect(
        secrets.put("big", "x".repeat(17 * 1024), { accountId: "a", actor: "t" }),
      ).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
      });
      expect(await secrets.names()).toEqual([]);
    });

    it("detects a value moved to another secret's row", async () => {
      const { secrets, vault } = await protection();
      await secrets.put("one", "first", { accountId: "a", actor: "t" });
      await secrets.put("two", "second", { accountId: "a", actor: "t" });
      await sql`UPDATE vault_secrets SET value = (SELECT value FROM vault_secrets WHERE name = 'one') WHERE name = 'two'`.execute(
        vault.db,
      );
      await expect(secrets.get("two", { component: "t" })).rejects.toMatchObject({
        code: "CIPHERTEXT_TAMPERED",
      });
    });

    it("audits every read and write without the value", async () => {
      const { secrets, logs } = await protection();
      const canary = `Atzr|CANARY${randomBytes(6).toString("hex")}`;
      await secrets.put("lwa.refresh_token.a", canary, { accountId: "a", actor: "connect" });
      await secrets.get("lwa.refresh_token.a", { component: "sync" });
      await secrets.get("missing", { component: "sync" }).catch(() => undefined);
      const events = logs.lines.map((l) => JSON.parse(l).audit).filter(Boolean);
      expect(events.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`)).toEqual([
        "secret.write:success",
        "secret.read:success",
        "secret.read:failure",
      ]);
      expect(logs.text()).not.toContain(canary.slice(5));
    });
  });
}

describe("secrets at rest", () => {
  it("leaves no plaintext secret in the vault file or its WAL", async () => {
    const p = await openTestProtection("sqlite");
    open.push(p);
    const canary = `CANARY-${randomBytes(8).toString("hex")}`;
    await p.secrets.put("lwa.client_secret", canary, { accountId: INSTANCE_ACCOUNT, actor: "t" });
    for (const file of [`${p.vault.location}-wal`, p.vault.location]) {
      const bytes = await fs.readFile(file).catch(() => Buffer.alloc(0));
      expect(bytes.includes(Buffer.from(canary)), file).toBe(false);
    }
    const stored = await p.vault.db.selectFrom("vault_secrets").select("value").executeTakeFirstOrThrow();
    expect(stored.value.startsWith("ss1:")).toBe(true);
    expect(stored.value).not.toContain(canary);
  });
});

describe("client secret age (Amazon's 180-day rule)", () => {
  const meta = (promotedAt: string) => ({
    name: CLIENT_SECRET_NAME,
    accountId: INSTANCE_ACCOUNT,
    versions: [
      {
        version: 1,
        state: "current" as const,
        createdAt: promotedAt,
        createdBy: "t",
        promotedAt,
        lastUsedAt: null,
        lastUsedBy: null,
      },
    ],
  });
  const start = "2026-01-01T00:00:00.000Z";
  const at = (days: number) => new Date(new Date(start).getTime() + days * MS.day);

  it("is ok until day 149, warns from day 150, is overdue from day 180", () => {
    expect(clientSecretAge(meta(start), at(149))).toMatchObject({ status: "ok", ageDays: 149 });
    expect(clientSecretAge(meta(start), at(150))).toMatchObject({ status: "warn", ageDays: 150 });
    expect(clientSecretAge(meta(start), at(180))).toMatchObject({ status: "overdue", ageDays: 180 });
    expect(clientSecretAge(meta(start), at(0)).rotateBy).toBe("2026-06-30T00:00:00.000Z");
    expect(clientSecretAge(null, at(0))).toEqual({ status: "missing", ageDays: null, rotateBy: null });
  });
});
