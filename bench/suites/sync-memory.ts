/**
 * The memory run, parent side: the sandbox here (its memory is not counted), the backfill in a forked child
 * (sync-memory-child.ts) that reports its RSS.
 */
import { fork } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { MS } from "../../src/platform/clock.js";
import { tempDir } from "../lib/fixtures.js";
import type { Progress } from "../lib/progress.js";
import { startBenchSandbox } from "./sync-backfill.js";
import type { FromMemoryChild, ToMemoryChild } from "./sync-memory-child.js";

const MEMORY_CHILD = fileURLToPath(new URL("./sync-memory-child.ts", import.meta.url));
export const MB = 1e6;

export type MemoryFigures = Extract<FromMemoryChild, { type: "done" }>;

/** The timeout is generous: about 1.5 real ms per order stored on a loaded machine, plus start-up. */
export async function memoryRun(
  opts: { orders: number; timeScale: number },
  progress: Progress,
): Promise<MemoryFigures> {
  const tmp = tempDir("sp-bench-sync-memory-");
  const sandbox = await startBenchSandbox({
    orders: opts.orders,
    timeScale: opts.timeScale,
    dataEnd: new Date(Date.now() - MS.minute).toISOString(),
  });
  const child = fork(MEMORY_CHILD, [], { execArgv: process.execArgv, stdio: ["ignore", 2, 2, "ipc"] });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("the memory run did not finish in time")),
        60_000 + opts.orders * 1.5,
      );
      child.on("message", (reply: FromMemoryChild) => {
        if (reply.type === "progress") {
          if (reply.windows % 5 === 0)
            progress(`memory run: ${reply.windows} windows stored, rss ${(reply.rss / MB).toFixed(0)} MB`);
          return;
        }
        clearTimeout(timer);
        if (reply.type === "done") resolve(reply);
        else reject(new Error(`memory run failed: ${reply.message}`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the memory run exited (${code}) without a result`));
      });
      child.send({
        type: "run",
        info: sandbox.info,
        timeScale: opts.timeScale,
        dataDir: path.join(tmp.dir, "data"),
      } satisfies ToMemoryChild);
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
    await sandbox.stop();
    tmp.remove();
  }
}
