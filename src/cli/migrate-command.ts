import { loadMasterKey } from "../crypto/master-key.js";
import { openDatabase } from "../db/database.js";
import { migrateToLatest, migrationStatus } from "../db/migrate.js";
import { type CliIo, configFrom, EXIT, reportFailure, writeJson } from "./io.js";

export async function migrateCommand(io: CliIo, options: { json: boolean }): Promise<number> {
  try {
    const config = configFrom(io);
    const master = await loadMasterKey(config.masterKey);
    const database = await openDatabase(config.database, master.key);
    try {
      const { executed } = await migrateToLatest(database.db);
      const status = await migrationStatus(database.db);
      if (options.json) {
        writeJson(io, { store: database.kind, executed, applied: status.applied, pending: status.pending });
      } else {
        io.stdout(
          executed.length > 0
            ? `Applied ${executed.length} migration(s) to ${database.kind}: ${executed.join(", ")}\n`
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
