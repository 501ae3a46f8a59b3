import { loadMasterKey } from "../crypto/master-key.js";
import { openDatabase } from "../db/database.js";
import { migrateToLatest, migrationStatus } from "../db/migrate.js";
import { openVault, VAULT_MIGRATIONS } from "../secrets/vault.js";
import { type CliIo, configFrom, EXIT, reportFailure, writeJson } from "./io.js";

/** Applies pending migrations to the data store and to the vault. */
export async function migrateCommand(io: CliIo, options: { json: boolean }): Promise<number> {
  try {
    const config = configFrom(io);
    const master = await loadMasterKey(config.masterKey);
    const database = await openDatabase(config.database, master.key);
    try {
      const { executed } = await migrateToLatest(database.db);
      const status = await migrationStatus(database.db);
      const vault = await openVault(config, master.key);
      let vaultExecuted: string[];
      try {
        vaultExecuted = (await migrateToLatest(vault.db, VAULT_MIGRATIONS)).executed;
      } finally {
        await vault.close();
      }
      if (options.json) {
        writeJson(io, {
          store: database.kind,
          executed,
          applied: status.applied,
          pending: status.pending,
          vault: { executed: vaultExecuted },
        });
      } else {
        const all = [...executed, ...vaultExecuted.map((n) => `vault/${n}`)];
        io.stdout(
          all.length > 0
            ? `Applied ${all.length} migration(s) to ${database.kind}: ${all.join(", ")}\n`
            : `${database.kind} is up to date (${status.applied.length} migration(s) applied).\n`,
        );
      }
      return EXIT.ok;
    } finally {
      await database.close();
    }
  } catch (err) {
    return reportFailure(io, err, options.json);
  }
}
