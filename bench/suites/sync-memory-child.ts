/**
 * The memory run's process: one engine backfill against the parent's sandbox, in a process of its own so the
 * benchmark's heap (and the sandbox's) does not count. RSS is sampled throughout; the kernel's high-water
 * mark (resourceUsage().maxRSS) is reported beside it, since a sample can miss a short peak.
 */
import process from "node:process";
import type { DemoSandboxInfo } from "../../src/demo/demo-sandbox.js";
import { openBenchSync, runEngineBackfill } from "./sync-backfill.js";

export interface ToMemoryChild {
  type: "run";
  info: DemoSandboxInfo;
  timeScale: number;
  dataDir: string;
}

export type FromMemoryChild =
  | {
      type: "done";
      /** Bytes: RSS once the runtime is open and the seller connected, before the backfill. */
      baselineRss: number;
      /** Bytes: the highest sampled RSS during the backfill. */
      sampledPeakRss: number;
      /** Bytes: the process's maximum resident set size as the kernel counts it. */
      maxRss: number;
      /** Bytes: the largest V8 heap (heapTotal) sampled: how much of the peak is the JavaScript heap. */
      peakHeapTotal: number;
      orders: number;
      items: number;
      amazonMs: number;
      realMs: number;
    }
  | { type: "progress"; windows: number; rss: number }
  | { type: "failed"; message: string };

const SAMPLE_MS = 50;

async function run(message: ToMemoryChild): Promise<FromMemoryChild> {
  const sync = await openBenchSync({ info: message.info, timeScale: message.timeScale }, message.dataDir);
  try {
    const baselineRss = process.memoryUsage.rss();
    let peak = baselineRss;
    let peakHeap = 0;
    const timer = setInterval(() => {
      const usage = process.memoryUsage();
      peak = Math.max(peak, usage.rss);
      peakHeap = Math.max(peakHeap, usage.heapTotal);
    }, SAMPLE_MS);
    try {
      const result = await runEngineBackfill(sync, (windows) =>
        process.send?.({
          type: "progress",
          windows,
          rss: process.memoryUsage.rss(),
        } satisfies FromMemoryChild),
      );
      peak = Math.max(peak, process.memoryUsage.rss());
      return {
        type: "done",
        baselineRss,
        sampledPeakRss: peak,
        maxRss: process.resourceUsage().maxRSS * 1024,
        peakHeapTotal: peakHeap,
        orders: result.orders,
        items: result.items,
        amazonMs: result.amazonMs,
        realMs: result.realMs,
      };
    } finally {
      clearInterval(timer);
    }
  } finally {
    await sync.close();
  }
}

process.once("message", (message: ToMemoryChild) => {
  run(message).then(
    (reply) => process.send?.(reply, () => process.exit(0)),
    (err: unknown) =>
      process.send?.(
        { type: "failed", message: err instanceof Error ? (err.stack ?? err.message) : String(err) },
        () => process.exit(1),
      ),
  );
});
