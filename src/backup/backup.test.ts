import { randomBytes } from "node:crypto";
import { createWriteStream, promises as fs } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type KyselyPlugin, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { backupTestKit, codeOf } from "../../test/support/backup-kit.js";
import { createScratchPostgres } from "../../test/support/backup-runtime.js";
import { dumpTables, openRestored, seedData } from "../../test/support/backup-seed.js";
import { STORES } from "../../test/support/stores.js";
import { readContactEmail } from "../accounts/accounts-repo.js";
import { openSqliteHandle } from "../db/database.js";
import { migrationStatus } from "../db/migrate.js";
import { MIGRATIONS } from "../db/migrations/index.js";
import { BACKUP_TABLES } from "../db/tables.js";
import { putSetting } from "../settings/settings-repo.js";
import type { ArchiveHeader } from "./archive-format.js";
import { ArchiveEncryptor } from "./archive-writer.js";
import { createBackupExporter } from "./backup-create.js";
import { newBackupKey } from "./backup-keys.js";
import { createBackupRestorer } from "./backup-restore.js";
import { createBackupVerifier } from "./backup-verify.js";
import { encodeRows, manifestLine, TableDigest, tableLine } from "./payload.js";

const { cleanups, runtime, scratchDir, freshTarget } = backupTestKit("sp-backup-test-");

async function pgTables(url: string): Promise<string[]> {
  const database = await openRestored({} as never, { url });
  try {
    const { rows } = await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`.execute(database.db);
    return rows.map((r) => r.name);
  } finally {
    await database.close();
  }
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`backups on ${target.name}`, () => {
    it("round-trips: create -> verify -> restore equals the source, sealed values open with the live vault", async () => {
      const { runtime: rt, clock } = await runtime(target.name);
      const seeded = await seedData(rt, clock);
      // The source as the backup sees it: backup, verify and restore each append to the audit log afterwards.
      const source = await dumpTables(rt.database.db);
      const file = path.join(scratchDir(), "a.spbak");
      const phases = new Set<string>();
      const created = await createBackupExporter(rt).create(file, {
        chunkSize: 4096,
        onProgress: (phase) => phases.add(phase),
      });
      expect([...phases]).toEqual(BACKUP_TABLES.map((t) => `exporting ${t.name}`));
      expect(created.tables.seller_accounts?.rows).toBe(2);
      expect(created.tables.deletion_receipts?.rows).toBe(1);
      expect(created.tables.instance_settings?.rows).toBe(311);
      expect(created.migrations).toEqual(Object.keys(MIGRATIONS));
      expect(created.tables).not.toHaveProperty("backups");
      const onDisk = await fs.readFile(file);
      expect(onDisk.length).toBe(created.bytes);

      const verified = await createBackupVerifier(rt).verify(file);
      expect(verified.tables).toEqual(created.tables);
      expect(verified.sha256).toBe(created.sha256);
      expect(verified.chunks).toBeGreaterThan(10);

      const into = await freshTarget(target.name);
      const restored = await createBackupRestorer(rt).restore(file, into);
      expect(restored.tables).toEqual(created.tables);
      const copy = await openRestored(
        rt,
        into.kind === "sqlite" ? { file: restored.location } : { url: into.url },
      );
      try {
        expect(await dumpTables(copy.db)).toEqual(source);
        expect((await migrationStatus(copy.db)).applied).toEqual(created.migrations);
        for (const account of seeded.accounts) {
          expect(await readContactEmail(copy.db, rt.fields, account.id)).toBe(account.email);
        }
      } finally {
        await copy.close();
      }
    });

    it("keeps the e-mail and setting canaries out of the archive bytes", async () => {
      const { runtime: rt, clock } = await runtime(target.name);
      const seeded = await seedData(rt, clock, 20);
      const file = path.join(scratchDir(), "canary.spbak");
      await createBackupExporter(rt).create(file);
      const bytes = await fs.readFile(file);
      for (const canary of [seeded.emailCanary, seeded.settingCanary]) {
        for (const form of [
          Buffer.from(canary),
          Buffer.from(Buffer.from(canary).toString("base64").slice(0, 16)),
        ]) {
          expect(bytes.includes(form), canary).toBe(false);
        }
      }
    });

    it("exports one consistent snapshot while the store keeps taking writes", async () => {
      const { runtime: rt, clock, config } = await runtime(target.name);
      await seedData(rt, clock, 50);
      const lateKey = `late.${randomBytes(4).toString("hex")}`;
      // The write must commit after the snapshot was taken and before the export reads the tables it
      // touches, every time. SQLite: a second connection writes synchronously inside the progress
      // callback. PostgreSQL: the export's own queries wait (via a plugin) until the write has committed.
      let write: Promise<unknown> | null = null;
      const gate: KyselyPlugin = {
        transformQuery: (args) => args.node,
        transformResult: async (args) => {
          if (write) await write;
          return args.result;
        },
      };
      let handle: Awaited<ReturnType<typeof openSqliteHandle>> | null = null;
      if (config.database.kind === "sqlite") {
        const key = rt.master.key.derive("database");
        handle = await openSqliteHandle(config.database.file, key);
        key.fill(0);
        cleanups.push(() => {
          handle?.close();
        });
      }
      const second = handle;
      let wrote = false;
      const created = await createBackupExporter({
        ...rt,
        database: { kind: rt.database.kind, db: rt.database.db.withPlugin(gate) },
      }).create(path.join(scratchDir(), "live.spbak"), {
        onProgress: (phase) => {
          if (wrote || phase !== "exporting instance_settings") return;
          wrote = true;
          if (second) {
            second
              .prepare("INSERT INTO instance_settings (key, value, updated_at) VALUES (?, ?, ?)")
              .run(lateKey, "x", "t");
            second.prepare("DELETE FROM deletion_receipts").run();
            return;
          }
          // Through the live instance without the gate, so the write does not wait on itself.
          write = rt.database.db.transaction().execute(async (trx) => {
            await putSetting(trx, lateKey, "written during the backup", clock.now());
            await trx.deleteFrom("deletion_receipts").execute();
          });
        },
      });
      await write;
      // The store changed while the export ran; the backup shows it as it was when the export began.
      expect(await rt.database.db.selectFrom("deletion_receipts").selectAll().execute()).toEqual([]);
      expect(
        await rt.database.db
          .selectFrom("instance_settings")
          .select("key")
          .where("key", "=", lateKey)
          .execute(),
      ).toHaveLength(1);
      expect(created.tables.instance_settings?.rows).toBe(61);
      expect(created.tables.deletion_receipts?.rows).toBe(1);
    });

    it("refuses a non-empty target with RESTORE_TARGET_NOT_EMPTY and changes nothing", async () => {
      const { runtime: rt, clock } = await runtime(target.name);
      await seedData(rt, clock, 5);
      const file = path.join(scratchDir(), "b.spbak");
      await createBackupExporter(rt).create(file);
      const restorer = createBackupRestorer(rt);

      const dir = path.join(scratchDir(), "occupied");
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, "seller-pilot.db"), "someone else's data");
      expect(await codeOf(restorer.restore(file, { kind: "sqlite", dir }))).toBe("RESTORE_TARGET_NOT_EMPTY");
      expect(await fs.readdir(dir)).toEqual(["seller-pilot.db"]);
      expect(await fs.readFile(path.join(dir, "seller-pilot.db"), "utf8")).toBe("someone else's data");

      if (target.name === "postgres") {
        const into = (await freshTarget("postgres")) as { kind: "postgres"; url: string };
        const other = await openRestored(rt, { url: into.url });
        await sql`CREATE TABLE unrelated (id integer PRIMARY KEY)`.execute(other.db);
        await sql`INSERT INTO unrelated VALUES (7)`.execute(other.db);
        await other.close();
        expect(await codeOf(restorer.restore(file, into))).toBe("RESTORE_TARGET_NOT_EMPTY");
        expect(await pgTables(into.url)).toEqual(["unrelated"]);
      }
    });

    it("refuses a backup this instance has no key for (another master key's vault): BACKUP_KEY_UNAVAILABLE", async () => {
      const { runtime: rt, clock } = await runtime(target.name);
      await seedData(rt, clock, 5);
      const file = path.join(scratchDir(), "c.spbak");
      await createBackupExporter(rt).create(file);
      const { runtime: stranger } = await runtime(target.name);
      const into = await freshTarget(target.name);
      expect(await codeOf(createBackupVerifier(stranger).verify(file))).toBe("BACKUP_KEY_UNAVAILABLE");
      expect(await codeOf(createBackupRestorer(stranger).restore(file, into))).toBe("BACKUP_KEY_UNAVAILABLE");
      // Once the stranger has a KEK v1 of its own, the key still does not unwrap under it.
      await stranger.keyring.current(stranger.keystore);
      const error = await createBackupRestorer(stranger)
        .restore(file, into)
        .catch((err: unknown) => err);
      expect(error).toMatchObject({ code: "BACKUP_KEY_UNAVAILABLE" });
      expect((error as Error).message).toContain(rt.master.key.fingerprint);
      if (into.kind === "sqlite") await expect(fs.stat(into.dir)).rejects.toMatchObject({ code: "ENOENT" });
      else expect(await pgTables(into.url)).toEqual([]);
    });

    it("restores nothing from a damaged archive, each damage with its code", async () => {
      const { runtime: rt, clock } = await runtime(target.name);
      await seedData(rt, clock, 400);
      const dir = scratchDir();
      const file = path.join(dir, "d.spbak");
      await createBackupExporter(rt).create(file, { chunkSize: 4096 });
      const good = await fs.readFile(file);
      const headerEnd = 10 + 8 + good.readUInt32BE(10) + 32;
      const frame = 9 + 12 + 4096 + 16;
      const flipped = Buffer.from(good);
      flipped[headerEnd + 3 * frame + 100] = (flipped[headerEnd + 3 * frame + 100] as number) ^ 0x20;
      const swapped = Buffer.concat([
        good.subarray(0, headerEnd),
        good.subarray(headerEnd + frame, headerEnd + 2 * frame),
        good.subarray(headerEnd, headerEnd + frame),
        good.subarray(headerEnd + 2 * frame),
      ]);
      const cases: Array<[string, Buffer, string]> = [
        ["truncated", good.subarray(0, good.length - 20), "BACKUP_TRUNCATED"],
        ["cut at a frame boundary", good.subarray(0, headerEnd + 5 * frame), "BACKUP_TRUNCATED"],
        ["flipped byte", flipped, "BACKUP_TAMPERED"],
        ["swapped chunks", swapped, "BACKUP_TAMPERED"],
        ["not a backup", Buffer.from("SQLite format 3\0"), "BACKUP_MALFORMED"],
      ];
      for (const [name, bytes, code] of cases) {
        const damaged = path.join(dir, `${name.replace(/ /g, "-")}.spbak`);
        await fs.writeFile(damaged, bytes);
        expect(await codeOf(createBackupVerifier(rt).verify(damaged)), `verify ${name}`).toBe(code);
        const into = await freshTarget(target.name);
        expect(await codeOf(createBackupRestorer(rt).restore(damaged, into)), `restore ${name}`).toBe(code);
        if (into.kind === "sqlite")
          await expect(fs.stat(into.dir), name).rejects.toMatchObject({ code: "ENOENT" });
        else expect(await pgTables(into.url), name).toEqual([]);
      }
    });

    it("refuses (BACKUP_CHECKSUM_MISMATCH) a correctly keyed archive whose manifest lies, restoring nothing", async () => {
      const { runtime: rt } = await runtime(target.name);
      const id = "forged-manifest";
      const { kek, key, wrapped } = await newBackupKey(rt, id);
      const header: ArchiveHeader = {
        format: "seller-pilot-backup",
        backupId: id,
        createdAt: "2026-11-28T12:00:00.000Z",
        store: target.name,
        migrations: Object.keys(MIGRATIONS),
        kekVersion: kek.version,
        provider: rt.provider.kind,
        wrappedKey: wrapped.toString("base64"),
        masterKeyFingerprint: rt.master.key.fingerprint,
        cipher: "AES-256-GCM",
        chunkSize: 4096,
      };
      const columns = ["key", "value", "updated_at"];
      const lines = encodeRows([{ key: "k", value: "v", updated_at: "t" }], columns);
      const digest = new TableDigest("instance_settings", columns);
      digest.update(lines, 1);
      const payload = [
        tableLine("instance_settings", columns),
        lines.toString(),
        manifestLine({ instance_settings: { ...digest.result(), rows: 2 } }),
      ];
      const file = path.join(scratchDir(), "forged.spbak");
      await pipeline(
        Readable.from([Buffer.from(payload.join(""))]),
        new ArchiveEncryptor(header, key),
        createWriteStream(file),
      );
      const into = await freshTarget(target.name);
      expect(await codeOf(createBackupRestorer(rt).restore(file, into))).toBe("BACKUP_CHECKSUM_MISMATCH");
      if (into.kind === "sqlite") await expect(fs.stat(into.dir)).rejects.toMatchObject({ code: "ENOENT" });
      else expect(await pgTables(into.url)).toEqual([]);
    });

    it("never overwrites an existing file and leaves no file or catalog row behind on failure", async () => {
      const { runtime: rt } = await runtime(target.name);
      const file = path.join(scratchDir(), "exists.spbak");
      await fs.writeFile(file, "precious");
      expect(await codeOf(createBackupExporter(rt).create(file))).toBe("VALIDATION_FAILED");
      expect(await fs.readFile(file, "utf8")).toBe("precious");
      expect(await rt.database.db.selectFrom("backups").selectAll().execute()).toEqual([]);

      // A failure half-way through the export: no partial archive, no catalog row, an audited failure.
      const partial = path.join(scratchDir(), "partial.spbak");
      const failing = createBackupExporter(rt).create(partial, {
        onProgress: (phase) => {
          if (phase === "exporting seller_accounts") throw new Error("disk on fire");
        },
      });
      await expect(failing).rejects.toThrow("disk on fire");
      await expect(fs.stat(partial)).rejects.toMatchObject({ code: "ENOENT" });
      expect(await rt.database.db.selectFrom("backups").selectAll().execute()).toEqual([]);
      const audited = await rt.database.db
        .selectFrom("audit_entries")
        .select(["action", "actor", "outcome"])
        .execute();
      expect(audited).toContainEqual({ action: "backup.create", actor: "backup", outcome: "failure" });
    });
  });
}

describe.skipIf(STORES.find((s) => s.name === "postgres")?.skip ?? true)("backups across stores", () => {
  it("restores a SQLite backup into PostgreSQL with a linguistic collation, checksums equal", async () => {
    const { runtime: rt, clock } = await runtime("sqlite");
    const seeded = await seedData(rt, clock, 50);
    const file = path.join(scratchDir(), "cross.spbak");
    const created = await createBackupExporter(rt).create(file);
    const db = await createScratchPostgres({ icuLocale: "en-US" });
    cleanups.push(() => db.drop());
    const restored = await createBackupRestorer(rt).restore(file, { kind: "postgres", url: db.url });
    expect(restored).toMatchObject({ source: "sqlite", target: "postgres", tables: created.tables });
    const copy = await openRestored(rt, { url: db.url });
    try {
      for (const account of seeded.accounts) {
        expect(await readContactEmail(copy.db, rt.fields, account.id)).toBe(account.email);
      }
    } finally {
      await copy.close();
    }
  });
});
