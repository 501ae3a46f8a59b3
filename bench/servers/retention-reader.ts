/**
 * The concurrent reader of the retention benchmark, in its own process: better-sqlite3 is synchronous, so a
 * reader in the purging process would only measure the event loop. It opens the same SQLCipher file on its
 * own connection and pages orders through the real read path (listOrders) until told to stop.
 */
import process from "node:process";
import { type Database, openSqlite } from "../../src/db/database.js";
import type { DB } from "../../src/db/schema.js";
import { listOrders } from "../../src/sync/orders-query-repo.js";

/** Parent -> child. The key travels over IPC, never on a command line. */
export type ToReader =
  | { type: "open"; file: string; keyHex: string; accountIds: string[]; from: string; to: string }
  | { type: "start" }
  | { type: "stop" }
  | { type: "exit" };

/** Child -> parent. */
export type FromReader =
  | { type: "ready" }
  | { type: "samples"; latenciesMs: number[] }
  | { type: "failed"; message: string };

const send = (message: FromReader) => process.send?.(message);
const PAGE = 50;

let reading = false;
let loop: Promise<number[]> | null = null;

async function readLoop(
  db: Database<DB>["db"],
  accountIds: readonly string[],
  fromMs: number,
  toMs: number,
): Promise<number[]> {
  const latencies: number[] = [];
  let i = 0;
  while (reading) {
    const account = accountIds[i++ % accountIds.length] as string;
    // A page of the orders list ending at a random purchase date: the indexed keyset query a cursor makes.
    const before = new Date(fromMs + Math.random() * (toMs - fromMs)).toISOString();
    const started = performance.now();
    const page = await listOrders(db, account, { purchasedTo: before }, { limit: PAGE });
    latencies.push(performance.now() - started);
    if (page.orders.length === 0 && before > new Date(fromMs + 86_400_000).toISOString()) {
      throw new Error(`reader got an empty page before ${before}`);
    }
    // Yield to the event loop so the "stop" message can arrive.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return latencies;
}

let store: Database<DB> | null = null;
let opened: Extract<ToReader, { type: "open" }> | null = null;

process.on("message", (message: ToReader) => {
  void (async () => {
    try {
      if (message.type === "open") {
        const key = Buffer.from(message.keyHex, "hex");
        store = await openSqlite<DB>(message.file, key);
        key.fill(0);
        opened = message;
        send({ type: "ready" });
      } else if (message.type === "start") {
        if (!store || !opened) throw new Error("reader not opened");
        reading = true;
        loop = readLoop(store.db, opened.accountIds, Date.parse(opened.from), Date.parse(opened.to));
      } else if (message.type === "stop") {
        reading = false;
        send({ type: "samples", latenciesMs: (await loop) ?? [] });
        loop = null;
      } else {
        await store?.close();
        process.exit(0);
      }
    } catch (err) {
      send({ type: "failed", message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
