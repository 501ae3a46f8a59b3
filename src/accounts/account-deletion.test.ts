import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { capturingLogger } from "../../test/support/log-capture.js";
import { openTestProtection, type TestProtection } from "../../test/support/protection.js";
import { STORES } from "../../test/support/stores.js";
import { createInProcessRunner } from "../jobs/in-process-runner.js";
import { deleteSellerAccount, hashSubject } from "./account-deletion.js";
import { createSellerAccount, listSellerAccounts, readContactEmail } from "./accounts-repo.js";

const open: TestProtection[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`account deletion on ${target.name}`, () => {
    async function twoAccounts(canary: string) {
      const p = await openTestProtection(target.name);
      open.push(p);
      const db = p.data.database.db;
      const doomed = await createSellerAccount(
        db,
        p.fields,
        { name: "Doomed", region: "na", contactEmail: `${canary}@x.example` },
        p.clock.now(),
      );
      const kept = await createSellerAccount(
        db,
        p.fields,
        { name: "Kept", region: "eu", contactEmail: "kept@x.example" },
        p.clock.now(),
      );
      await p.secrets.put(`lwa.refresh_token.${doomed.id}`, `Atzr|${canary}`, {
        accountId: doomed.id,
        actor: "t",
      });
      await p.secrets.put(`lwa.refresh_token.${kept.id}`, "Atzr|kept", { accountId: kept.id, actor: "t" });
      const deps = {
        database: p.data.database,
        vault: p.vault.database,
        dataKeys: p.dataKeys,
        secrets: p.secrets,
        audit: p.audit,
        clock: p.clock,
      };
      return { p, db, doomed, kept, deps };
    }

    it("destroys the keys, secrets and rows of one account and writes a receipt", async () => {
      const canary = `CANARY${randomBytes(6).toString("hex")}`;
      const { p, db, doomed, kept, deps } = await twoAccounts(canary);
      const sealedBefore = await db
        .selectFrom("seller_accounts")
        .select("contact_email")
        .where("id", "=", doomed.id)
        .executeTakeFirstOrThrow();

      // Both accounts have a sync schedule and the doomed one is paused: only its job rows go.
      const runner = createInProcessRunner({
        database: p.data.database,
        clock: p.clock,
        logger: capturingLogger().logger,
      });
      for (const a of [doomed, kept]) await runner.schedule("sync", { accountId: a.id, everyMs: 60_000 });
      await runner.pauseAccount(doomed.id, "SPAPI_AUTHORIZATION_REVOKED");

      const receipt = await deleteSellerAccount(deps, doomed.id, "owner@agency.example");
      expect(receipt.details).toEqual({
        dataKeyVersionsDestroyed: 1,
        secretsDeleted: 1,
        rowsDeleted: { job_runs: 0, job_pauses: 1, job_schedules: 1, seller_accounts: 1 },
      });
      expect((await runner.status()).map((s) => s.accountId)).toEqual([kept.id]);
      expect(receipt.subjectHash).toBe(hashSubject("seller_account", doomed.id));
      expect(receipt.receiptHash).toMatch(/^[0-9a-f]{64}$/);
      const stored = await db.selectFrom("deletion_receipts").selectAll().executeTakeFirstOrThrow();
      expect(stored).toMatchObject({
        id: receipt.id,
        receipt_hash: receipt.receiptHash,
        kind: "seller_account",
      });
      expect(JSON.stringify(stored)).not.toContain(doomed.id);

      expect((await listSellerAccounts(db)).map((a) => a.id)).toEqual([kept.id]);
      expect(await p.dataKeys.versions(doomed.id)).toEqual([]);
      await expect(p.secrets.get(`lwa.refresh_token.${doomed.id}`, { component: "t" })).rejects.toMatchObject(
        { code: "SECRET_NOT_FOUND" },
      );
      // A copy of the old ciphertext (as any backup holds) no longer opens.
      const ref = {
        accountId: doomed.id,
        table: "seller_accounts",
        column: "contact_email",
        rowId: doomed.id,
      };
      await expect(p.fields.open(ref, sealedBefore.contact_email ?? "")).rejects.toMatchObject({
        code: "DATA_KEY_DESTROYED",
      });
      // The other account is untouched.
      expect(await readContactEmail(db, p.fields, kept.id)).toBe("kept@x.example");
      expect(await p.secrets.get(`lwa.refresh_token.${kept.id}`, { component: "t" })).toBe("Atzr|kept");
      const events = p.logs.lines
        .map((l) => JSON.parse(l).audit)
        .filter((e) => e?.action === "account.delete");
      expect(events).toEqual([
        {
          action: "account.delete",
          actor: "owner@agency.example",
          outcome: "success",
          target: { subject: receipt.subjectHash, receipt: receipt.id },
        },
      ]);
    });

    it("refuses an unknown account with ACCOUNT_NOT_FOUND and changes nothing", async () => {
      const { p, db, deps } = await twoAccounts("x");
      await expect(deleteSellerAccount(deps, "no-such-account", "t")).rejects.toMatchObject({
        code: "ACCOUNT_NOT_FOUND",
      });
      expect(await listSellerAccounts(db)).toHaveLength(2);
      expect(await p.secrets.names()).toHaveLength(2);
    });
  });
}

describe("account deletion on disk", () => {
  it("checkpoints and truncates the WAL after a deletion, so no deleted row waits there", async () => {
    const p = await openTestProtection("sqlite");
    open.push(p);
    const name = `Brand-${randomBytes(6).toString("hex")}`;
    const account = await createSellerAccount(
      p.data.database.db,
      p.fields,
      { name, region: "na" },
      p.clock.now(),
    );
    await p.data.database.checkpoint();
    expect((await fs.readFile(p.data.location)).includes(Buffer.from(name))).toBe(false); // encrypted file
    await deleteSellerAccount(
      {
        database: p.data.database,
        vault: p.vault.database,
        dataKeys: p.dataKeys,
        secrets: p.secrets,
        audit: p.audit,
        clock: p.clock,
      },
      account.id,
      "t",
    );
    const wal = await fs.readFile(`${p.data.location}-wal`).catch(() => Buffer.alloc(0));
    expect(wal.length).toBe(0); // checkpointed and truncated: nothing of the deleted row waits in the WAL
  });
});
