import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { backupTestKit, codeOf } from "../../test/support/backup-kit.js";
import { openRestored, seedData } from "../../test/support/backup-seed.js";
import { STORES } from "../../test/support/stores.js";
import { deleteSellerAccount } from "../accounts/account-deletion.js";
import { readContactEmail } from "../accounts/accounts-repo.js";
import { MS } from "../platform/clock.js";
import { rotateKek } from "../protection/key-rotation.js";
import { keystoreView } from "../secrets/vault.js";
import { createBackupExporter } from "./backup-create.js";
import { createBackupPruner } from "./backup-prune.js";
import { createBackupRestorer } from "./backup-restore.js";
import { createBackupVerifier } from "./backup-verify.js";
import { keptBackupKekVersions } from "./backups-repo.js";

const { runtime, scratchDir, freshTarget } = backupTestKit("sp-shred-");

for (const target of STORES) {
  describe.skipIf(target.skip)(`crypto-shredding and key rotation with backups on ${target.name}`, () => {
    it("an account deleted after a backup stays unreadable in the restored backup; the others open", async () => {
      const { runtime: rt, clock } = await runtime(target.name);
      const { accounts } = await seedData(rt, clock, 10);
      const [deleted, kept] = accounts as [(typeof accounts)[0], (typeof accounts)[0]];
      const file = path.join(scratchDir(), "before-delete.spbak");
      await createBackupExporter(rt).create(file);

      await deleteSellerAccount(
        {
          database: rt.database,
          vault: rt.vault,
          dataKeys: rt.dataKeys,
          secrets: rt.secrets,
          audit: rt.audit,
          clock,
        },
        deleted.id,
        "test",
      );
      rt.dataKeys.cache.deletePrefix(""); // no help from keys cached before the deletion

      const into = await freshTarget(target.name);
      const restored = await createBackupRestorer(rt).restore(file, into);
      const copy = await openRestored(
        rt,
        into.kind === "sqlite" ? { file: restored.location } : { url: into.url },
      );
      try {
        // The row came back with the backup; its ciphertext did too; the key did not.
        const row = await copy.db
          .selectFrom("seller_accounts")
          .selectAll()
          .where("id", "=", deleted.id)
          .executeTakeFirst();
        expect(row?.contact_email).toMatch(/^sp1:v1:/);
        expect(await codeOf(readContactEmail(copy.db, rt.fields, deleted.id))).toBe("DATA_KEY_DESTROYED");
        expect(await codeOf(rt.secrets.get(deleted.secretName, { component: "test" }))).toBe(
          "SECRET_NOT_FOUND",
        );

        expect(await readContactEmail(copy.db, rt.fields, kept.id)).toBe(kept.email);
        expect(await rt.secrets.get(kept.secretName, { component: "test" })).toBe(kept.secret);
      } finally {
        await copy.close();
      }
    });

    it("a kept backup pins its KEK version through rotations; pruning it lets the next rotation retire it", async () => {
      const { runtime: rt, clock } = await runtime(target.name);
      await seedData(rt, clock, 10);
      const keystore = keystoreView(rt.vault.db);
      const rotate = () =>
        rotateKek(
          {
            keystore,
            keyring: rt.keyring,
            dataKeys: rt.dataKeys,
            audit: rt.audit,
            externalReferences: () => keptBackupKekVersions(rt.database.db),
          },
          { batchSize: 50, actor: "test", onProgress: () => undefined },
        );
      const dir = scratchDir();
      const first = await createBackupExporter(rt).create(path.join(dir, "first.spbak"));
      expect(first.kekVersion).toBe(1);
      expect(await keptBackupKekVersions(rt.database.db)).toEqual(new Set([1]));

      const rotated = await rotate();
      expect(rotated).toMatchObject({ current: 2, retired: [], kept: [1] });
      expect((await createBackupVerifier(rt).verify(first.file)).id).toBe(first.id);

      clock.advance(MS.day);
      const second = await createBackupExporter(rt).create(path.join(dir, "second.spbak"));
      expect(second.kekVersion).toBe(2);
      const copyOfFirst = path.join(dir, "first-copy.spbak");
      await fs.copyFile(first.file, copyOfFirst);

      const pruned = await createBackupPruner(rt).prune({ keepLast: 1 });
      expect(pruned.pruned.map((b) => b.id)).toEqual([first.id]);
      expect(await keptBackupKekVersions(rt.database.db)).toEqual(new Set([2]));

      const again = await rotate();
      expect(again).toMatchObject({ current: 3, retired: [1], kept: [2] });
      // The surviving copy of the pruned backup is now unreadable everywhere: its KEK is gone.
      expect(await codeOf(createBackupVerifier(rt).verify(copyOfFirst))).toBe("BACKUP_KEY_UNAVAILABLE");
      expect((await createBackupVerifier(rt).verify(second.file)).id).toBe(second.id);
    });
  });
}
