import closeWithGrace from "close-with-grace";
import { systemClock } from "../platform/clock.js";
import { createLogger } from "../platform/logger.js";
import { startServer } from "../server.js";
import { type CliIo, configFrom, EXIT, reportFailure } from "./io.js";

/** Runs until SIGINT/SIGTERM, then drains in-flight requests and closes the store (10 s at most). */
export async function startCommand(io: CliIo): Promise<number> {
  let config: ReturnType<typeof configFrom>;
  try {
    config = configFrom(io);
  } catch (err) {
    return reportFailure(io, err, false);
  }
  const logger = createLogger({ level: config.logLevel });
  // Signal handlers first: the ready line tells scripts they may stop us, so a SIGTERM that follows it at
  // once must already find them (a stop during start-up waits for start-up, then closes).
  const started = startServer({
    config,
    logger,
    clock: systemClock,
    notice: (line) => io.stderr(`${line}\n`),
  });
  return await new Promise<number>((resolve) => {
    const grace = closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
      if (err) logger.error({ err }, "shutting down after an unexpected error");
      else logger.info({ signal }, "shutting down");
      const running = await started.catch(() => null);
      await running?.close();
      logger.info("stopped");
      resolve(err ? EXIT.failed : EXIT.ok);
    });
    started.catch((err: unknown) => {
      grace.uninstall();
      logger.error({ err }, "start-up failed");
      resolve(reportFailure(io, err, false));
    });
  });
}
