import type { Kysely } from "kysely";
import type { FieldCipher } from "../crypto/field-cipher.js";
import type { DB, SellerAccountStatus } from "../db/schema.js";
import { newId } from "../platform/ids.js";

export const REGIONS = ["na", "eu", "fe"] as const;
export type Region = (typeof REGIONS)[number];

export interface SellerAccount {
  id: string;
  name: string;
  region: string;
  status: SellerAccountStatus;
  sellingPartnerId: string | null;
  createdAt: string;
}

export interface NewSellerAccount {
  name: string;
  region: Region;
  sellingPartnerId?: string | null;
  contactEmail?: string | null;
  /** The owning organisation; without one, nobody can be given a role on the account. */
  organisationId?: string | null;
}

const contactRef = (id: string) => ({
  accountId: id,
  table: "seller_accounts",
  column: "contact_email",
  rowId: id,
});

export async function createSellerAccount(
  db: Kysely<DB>,
  fields: Pick<FieldCipher, "seal">,
  input: NewSellerAccount,
  now: Date,
): Promise<SellerAccount> {
  const id = newId();
  const at = now.toISOString();
  await db
    .insertInto("seller_accounts")
    .values({
      id,
      name: input.name,
      region: input.region,
      status: "active",
      selling_partner_id: input.sellingPartnerId ?? null,
      organisation_id: input.organisationId ?? null,
      contact_email: input.contactEmail ? await fields.seal(contactRef(id), input.contactEmail) : null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  return {
    id,
    name: input.name,
    region: input.region,
    status: "active",
    sellingPartnerId: input.sellingPartnerId ?? null,
    createdAt: at,
  };
}

const PUBLIC_COLUMNS = ["id", "name", "region", "status", "selling_partner_id", "created_at"] as const;

function toAccount(r: {
  id: string;
  name: string;
  region: string;
  status: SellerAccountStatus;
  selling_partner_id: string | null;
  created_at: string;
}): SellerAccount {
  return {
    id: r.id,
    name: r.name,
    region: r.region,
    status: r.status,
    sellingPartnerId: r.selling_partner_id,
    createdAt: r.created_at,
  };
}

/** Accounts without their personal data: safe for lists and CLI output. */
export async function listSellerAccounts(db: Kysely<DB>): Promise<SellerAccount[]> {
  const rows = await db
    .selectFrom("seller_accounts")
    .select(PUBLIC_COLUMNS)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toAccount);
}

export async function findSellerAccount(db: Kysely<DB>, id: string): Promise<SellerAccount | null> {
  const row = await db
    .selectFrom("seller_accounts")
    .select(PUBLIC_COLUMNS)
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toAccount(row) : null;
}

export async function readContactEmail(
  db: Kysely<DB>,
  fields: Pick<FieldCipher, "open">,
  id: string,
): Promise<string | null> {
  const row = await db
    .selectFrom("seller_accounts")
    .select("contact_email")
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row?.contact_email) return null;
  return fields.open(contactRef(id), row.contact_email);
}
