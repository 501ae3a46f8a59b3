import type { DB } from "./schema.js";

/**
 * The one registry of data-store tables. Whatever walks every table (backups today; retention and exports
 * later) reads it from here, so a new table cannot be silently left out: the compiler checks every table
 * of DB is listed, and tables.test.ts checks every table the migrations create is listed.
 */
export interface TableSpec {
  name: keyof DB & string;
  /** Primary-key columns in key order: backups read tables in this order, restores check it. */
  primaryKey: readonly string[];
  /** Whether a data backup carries the table; when it does not, why. */
  backup: { include: true } | { include: false; reason: string };
}

/** Parents before children: a restore inserts in this order, so foreign keys always find their row. */
export const TABLES = [
  { name: "instance_settings", primaryKey: ["key"], backup: { include: true } },
  { name: "seller_accounts", primaryKey: ["id"], backup: { include: true } },
  { name: "deletion_receipts", primaryKey: ["id"], backup: { include: true } },
  {
    name: "backups",
    primaryKey: ["id"],
    backup: {
      include: false,
      reason:
        "the catalog of archive files on this instance's disks: an archive cannot describe itself, and a " +
        "restored catalog would point at files the target does not have and pin KEK versions it does not need",
    },
  },
] as const satisfies readonly TableSpec[];

/** Tables Kysely's migrator keeps; a restore recreates them by running the migrations. */
export const MIGRATION_BOOKKEEPING_TABLES = ["schema_migrations", "schema_migrations_lock"] as const;

export const BACKUP_TABLES: readonly TableSpec[] = TABLES.filter((t) => t.backup.include);

export function tableSpec(name: string): TableSpec | undefined {
  return TABLES.find((t) => t.name === name);
}

type Unlisted = Exclude<keyof DB, (typeof TABLES)[number]["name"]>;
type Expect<T extends true> = T;
/** Fails to compile when a table is added to DB but not to TABLES. */
export type EveryTableListed = Expect<[Unlisted] extends [never] ? true : false>;
