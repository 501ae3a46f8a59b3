import type { SandboxOptions } from "../../sandbox/app.js";
import type { SellerProfile } from "../../sandbox/data-generator.js";
import { deferred } from "./jobs.js";
import type { SyncRig } from "./sync-rig.js";

/**
 * A sandbox whose SP-API answers can be held back: once `hang()` is called, every SP-API request reaches the
 * sandbox and then waits (the sandbox's latency fault, its injected delay never ending) until `release()`.
 * So a test can catch the client with a request in flight on a real socket, as a slow Amazon would.
 */
export interface HangingSandbox {
  options: SandboxOptions;
  /** From now on SP-API requests hang; `held` resolves when the first one does. */
  hang(): void;
  held: Promise<void>;
  /** Answers the held requests and holds none from now on. */
  release(): void;
}

/** `hangAfter`: requests answered before hanging starts by itself (default: only when hang() is called). */
export function hangingSandbox(base: SandboxOptions, hangAfter = Number.POSITIVE_INFINITY): HangingSandbox {
  let state: "answering" | "hanging" | "released" = "answering";
  let answered = 0;
  const first = deferred();
  const waiting: Array<() => void> = [];
  return {
    options: {
      ...base,
      faults: { ...base.faults, latencyMs: 1 },
      delay: () => {
        if (state === "answering" && ++answered > hangAfter) state = "hanging";
        if (state !== "hanging") return Promise.resolve();
        first.resolve();
        return new Promise<void>((resolve) => waiting.push(resolve));
      },
    },
    hang() {
      if (state === "answering") state = "hanging";
    },
    held: first.promise,
    release() {
      state = "released";
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

/** How many orders the sandbox holds for a seller: what a complete sync stores, no more, no less. */
export function sandboxOrderCount(r: SyncRig, sellerIndex = 0): number {
  const data = r.rig.h.running.sandbox.context.data;
  return data.countFor(data.sellers[sellerIndex] as SellerProfile);
}

/** Stored orders of an account, and how many distinct Amazon order ids they have (equal: no duplicates). */
export async function storedOrders(
  r: SyncRig,
  accountId: string,
): Promise<{ rows: number; distinct: number }> {
  const rows = await r.db
    .selectFrom("orders")
    .select("amazon_order_id")
    .where("account_id", "=", accountId)
    .execute();
  return { rows: rows.length, distinct: new Set(rows.map((o) => o.amazon_order_id)).size };
}
