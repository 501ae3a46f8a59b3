import type { Migration } from "kysely";
import * as m0001 from "./0001-instance-settings.js";
import * as m0002 from "./0002-seller-accounts.js";
import * as m0003 from "./0003-backups.js";
import * as m0004 from "./0004-audit-log.js";
import * as m0005 from "./0005-identity.js";
import * as m0006 from "./0006-credentials.js";
import * as m0007 from "./0007-spapi-rate-buckets.js";
import * as m0008 from "./0008-amazon-data.js";
import * as m0009 from "./0009-connect.js";
import * as m0011 from "./0011-jobs.js";
import * as m0012 from "./0012-retention.js";
import * as m0013 from "./0013-incidents.js";
import * as m0014 from "./0014-retention-indexes.js";
import * as m0015 from "./0015-orders-write-path.js";

/** One ordered set of migrations for both stores; names sort in the order they must run. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001-instance-settings": m0001,
  "0002-seller-accounts": m0002,
  "0003-backups": m0003,
  "0004-audit-log": m0004,
  "0005-identity": m0005,
  "0006-credentials": m0006,
  "0007-spapi-rate-buckets": m0007,
  "0008-amazon-data": m0008,
  "0009-connect": m0009,
  "0011-jobs": m0011,
  "0012-retention": m0012,
  "0013-incidents": m0013,
  "0014-retention-indexes": m0014,
  "0015-orders-write-path": m0015,
};
