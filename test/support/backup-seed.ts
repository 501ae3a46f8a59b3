import { randomBytes } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { deleteSellerAccount } from "../../src/accounts/account-deletion.js";
import { createSellerAccount } from "../../src/accounts/accounts-repo.js";
import { type Database, openPostgres, openSqlite } from "../../src/db/database.js";
import type { DB } from "../../src/db/schema.js";
import { BACKUP_TABLES } from "../../src/db/tables.js";
import type { ManualClock } from "../../src/platform/clock.js";
import type { Runtime } from "../../src/runtime.js";
import { putSetting } from "../../src/settings/settings-repo.js";

export interface Seeded {
  accounts: Array<{ id: string; email: string; secret: string; secretName: string }>;
  emailCanary: string;
  settingCanary: string;
}

/** Keys whose order differs between bytewise and locale collations: the two stores must agree anyway. */
const AWKWARD_KEYS = ["Zeta", "alpha", "Ärger", "émile", "😀 smile", "a b", "A", "a-b", "a_b", "ß"];

/**
 * Two live seller accounts (sealed contact e-mails, refresh tokens in the vault), one deleted account
 * (a deletion receipt), a plaintext setting canary and `settings` filler rows of ~200 characters.
 */
export async function seedData(rt: Runtime, clock: ManualClock, settings = 300): Promise<Seeded> {
  const emailCanary = `canary-${randomBytes(6).toString("hex")}`;
  const settingCanary = `SETTING-CANARY-${randomBytes(6).toString("hex")}`;
  const accounts: Seeded["accounts"] = [];
  for (const [name, email] of [
    ["Brand A", `${emailCanary}@brand-a.example`],
    ["Brand B", "ops@brand-b.example"],
  ] as const) {
    const account = await createSellerAccount(
      rt.database.db,
      rt.fields,
      { name, region: "eu", contactEmail: email },
      clock.now(),
    );
    const secretName = `lwa.refresh-token.${account.id}`;
    const secret = `Atzr|${randomBytes(24).toString("base64url")}`;
    await rt.secrets.put(secretName, secret, { accountId: account.id, actor: "test" });
    accounts.push({ id: account.id, email, secret, secretName });
  }
  const gone = await createSellerAccount(
    rt.database.db,
    rt.fields,
    { name: "Gone", region: "na", contactEmail: "x@gone.example" },
    clock.now(),
  );
  await deleteSellerAccount(
    {
      database: rt.database,
      vault: rt.vault,
      dataKeys: rt.dataKeys,
      secrets: rt.secrets,
      audit: rt.audit,
      clock,
    },
    gone.id,
    "test",
  );
  await putSetting(rt.database.db, "canary", settingCanary, clock.now());
  for (const key of AWKWARD_KEYS) await putSetting(rt.database.db, key, `value of ${key}`, clock.now());
  await rt.database.db.transaction().execute(async (trx) => {
    for (let i = 0; i < settings; i++) {
      await putSetting(
        trx,
        `filler.${i.toString().padStart(5, "0")}`,
        randomBytes(150).toString("base64"),
        clock.now(),
      );
    }
  });
  return { accounts, emailCanary, settingCanary };
}

/** Every backed-up table's rows, in key order, as plain objects: for equality between two stores. */
export async function dumpTables(db: Kysely<DB>): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const spec of BACKUP_TABLES) {
    const order = sql.join(spec.primaryKey.map((c) => sql.ref(c)));
    const { rows } = await sql<
      Record<string, unknown>
    >`SELECT * FROM ${sql.table(spec.name)} ORDER BY ${order}`.execute(db);
    out[spec.name] = rows;
  }
  return out;
}

/** Opens a restored store the way an instance with this runtime's master key would. */
export async function openRestored(
  rt: Runtime,
  location: { dir?: string; url?: string; file?: string },
): Promise<Database> {
  if (location.url) return openPostgres(location.url, 2);
  const key = rt.master.key.derive("database");
  try {
    return await openSqlite(location.file ?? `${location.dir}/seller-pilot.db`, key);
  } finally {
    key.fill(0);
  }
}
