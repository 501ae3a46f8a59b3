// `seller-pilot start` in demo mode stopped by SIGTERM while the demo accounts' first syncs run: the syncs are
// aborted at their next call or wait, queued again for the next start, and the process exits 0 within moments
// (not at close-with-grace's 10 s limit).
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { killAll, logLines, runCli, waitForExit } from "./support/process-cli.js";
import { tempDir } from "./support/stores.js";

const EXIT_WITHIN_MS = 5_000;

describe("seller-pilot start in demo mode, stopped mid-sync", () => {
  const data = tempDir("sp-shutdown-");
  afterEach(killAll);
  afterAll(async () => {
    await killAll();
    data.remove();
  });

  test("SIGTERM during the demo syncs: they are interrupted and queued again, and the process exits 0 at once", async () => {
    const cli = runCli(["start"], {
      SELLER_PILOT_PORT: "0",
      SELLER_PILOT_DATA_DIR: data.dir,
      // The runner says when a job starts at debug level.
      SELLER_PILOT_LOG_LEVEL: "debug",
    });
    const syncsStarted = () =>
      logLines(cli.stdout()).filter((l) => l.msg === "job started" && l.job === "sync").length;
    await cli.until("both demo syncs running", () => syncsStarted() === 2, 60_000);

    const t0 = performance.now();
    cli.child.kill("SIGTERM");
    expect(await waitForExit(cli, EXIT_WITHIN_MS)).toEqual({ code: 0, signal: null });
    const tookMs = performance.now() - t0;
    expect(tookMs).toBeLessThan(EXIT_WITHIN_MS);

    const lines = logLines(cli.stdout());
    const interrupted = lines.filter((l) => l.msg === "job interrupted; queued again" && l.job === "sync");
    expect(interrupted).toHaveLength(2);
    expect(lines.some((l) => l.msg === "job failed" || l.msg === "job failed; retrying")).toBe(false);
    expect(lines.at(-1)?.msg).toBe("stopped");
    // Many calls in flight on one run's signal are expected, not a leak.
    expect(cli.stderr()).not.toContain("MaxListenersExceededWarning");
  }, 90_000);
});
