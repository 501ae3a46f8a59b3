import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import { newId } from "../platform/ids.js";
import { putSettingIfAbsent } from "./settings-repo.js";

export interface InstanceIdentity {
  instanceId: string;
  initializedAt: string;
}

/** The instance's identity, created once on the first start against a store. */
export async function ensureInstanceIdentity(db: Kysely<DB>, clock: Clock): Promise<InstanceIdentity> {
  const now = clock.now();
  const instanceId = await putSettingIfAbsent(db, "instance.id", newId(), now);
  const initializedAt = await putSettingIfAbsent(db, "instance.initialized_at", now.toISOString(), now);
  return { instanceId, initializedAt };
}
