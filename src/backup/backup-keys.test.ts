import { promises as fs } from "node:fs";
import path from "node:path";
import { DecryptCommand } from "@aws-sdk/client-kms";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { createScratchPostgres } from "../../test/support/backup-runtime.js";
import { fakeKms } from "../../test/support/fake-kms.js";
import { capturingLogger } from "../../test/support/log-capture.js";
import { STORES, type StoreName, tempDir } from "../../test/support/stores.js";
import { createSellerAccount } from "../accounts/accounts-repo.js";
import { loadConfig } from "../config/config.js";
import { openPostgres } from "../db/database.js";
import { ManualClock } from "../platform/clock.js";
import { openRuntime } from "../runtime.js";
import { keystoreView } from "../secrets/vault.js";
import { backupKeyContext } from "./archive-format.js";
import { createBackupExporter } from "./backup-create.js";
import { createBackupRestorer } from "./backup-restore.js";
import { createBackupVerifier } from "./backup-verify.js";
import type { RestoreTarget } from "./restore-target.js";

const KEY_ID = "arn:aws:kms:eu-west-1:123456789012:key/cccccccc-0000-0000-0000-000000000003";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function kmsError(name: string): Error {
  const err = new Error(`${name}: simulated`);
  err.name = name;
  return err;
}

/** A real runtime whose master key and KEKs live in (the stand-in for) AWS KMS, on a fresh store. */
async function kmsRuntime(store: StoreName) {
  const kms = fakeKms();
  cleanups.push(() => kms.restore());
  const tmp = tempDir("sp-backup-kms-");
  cleanups.push(() => tmp.remove());
  const scratch = store === "postgres" ? await createScratchPostgres() : null;
  if (scratch) cleanups.push(() => scratch.drop());
  const config = loadConfig(
    {
      SELLER_PILOT_DATA_DIR: tmp.dir,
      SELLER_PILOT_KMS_KEY_ID: KEY_ID,
      SELLER_PILOT_KMS_REGION: "eu-west-1",
      ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    },
    tmp.dir,
  );
  const clock = new ManualClock("2026-11-28T12:00:00.000Z");
  const opened = await openRuntime({ config, clock, logger: capturingLogger("info").logger });
  cleanups.push(() => opened.close());
  const rt = Object.assign(opened, { keystore: keystoreView(opened.vault.db) });
  await createSellerAccount(
    rt.database.db,
    rt.fields,
    { name: "Brand K", region: "eu", contactEmail: "ops@brand-k.example" },
    clock.now(),
  );
  const file = path.join(tmp.dir, "k.spbak");
  const created = await createBackupExporter(rt).create(file);
  return { rt, kms, file, created, dir: tmp.dir };
}

async function freshTarget(kind: StoreName, dir: string): Promise<RestoreTarget> {
  if (kind === "sqlite") return { kind: "sqlite", dir: path.join(dir, "restored") };
  const db = await createScratchPostgres();
  cleanups.push(() => db.drop());
  return { kind: "postgres", url: db.url };
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { code?: string; cause?: unknown }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error("expected a failure");
}

async function targetIsEmpty(target: RestoreTarget): Promise<boolean> {
  if (target.kind === "sqlite")
    return fs.stat(target.dir).then(
      () => false,
      () => true,
    );
  const database = await openPostgres(target.url, 1);
  try {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`.execute(database.db);
    return rows[0]?.n === 0;
  } finally {
    await database.close();
  }
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`backup key unwrapping through KMS on ${target.name}`, () => {
    it("a KMS refusal of the backup's key is BACKUP_KEY_UNAVAILABLE (cause kept) and restores nothing", async () => {
      const { rt, kms, file, created, dir } = await kmsRuntime(target.name);
      expect(created.kekVersion).toBe(1);
      // Control: with KMS answering, the very same archive verifies.
      expect((await createBackupVerifier(rt).verify(file)).id).toBe(created.id);

      for (const refusal of ["AccessDeniedException", "DisabledException", "KMSInvalidStateException"]) {
        // Only the backup key's Decrypt is refused; everything else KMS does keeps working.
        kms.mock
          .on(DecryptCommand, { EncryptionContext: { ...backupKeyContext(created.id) } })
          .rejects(kmsError(refusal));
        const verify = await errorOf(createBackupVerifier(rt).verify(file));
        expect(verify.code, refusal).toBe("BACKUP_KEY_UNAVAILABLE");
        expect(verify.message).toContain(refusal);
        expect(verify.cause).toMatchObject({ code: "KEY_PROVIDER_FAILED", cause: { name: refusal } });

        const into = await freshTarget(target.name, dir);
        const restore = await errorOf(createBackupRestorer(rt).restore(file, into));
        expect(restore.code, refusal).toBe("BACKUP_KEY_UNAVAILABLE");
        expect(restore.cause).toMatchObject({ code: "KEY_PROVIDER_FAILED", cause: { name: refusal } });
        expect(await targetIsEmpty(into), refusal).toBe(true);
      }
    });

    it("a KMS outage stays KEY_PROVIDER_FAILED: the key is not missing, KMS did not answer", async () => {
      const { rt, kms, file, created, dir } = await kmsRuntime(target.name);
      for (const outage of ["KMSInternalException", "ThrottlingException", "DependencyTimeoutException"]) {
        kms.mock
          .on(DecryptCommand, { EncryptionContext: { ...backupKeyContext(created.id) } })
          .rejects(kmsError(outage));
        expect((await errorOf(createBackupVerifier(rt).verify(file))).code, outage).toBe(
          "KEY_PROVIDER_FAILED",
        );
        const into = await freshTarget(target.name, dir);
        expect((await errorOf(createBackupRestorer(rt).restore(file, into))).code, outage).toBe(
          "KEY_PROVIDER_FAILED",
        );
        expect(await targetIsEmpty(into), outage).toBe(true);
      }
    });
  });
}
