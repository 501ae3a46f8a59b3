import { systemClock } from "../platform/clock.js";
import { createLogger } from "../platform/logger.js";
import { openRuntime, type Runtime } from "../runtime.js";
import { type CliIo, configFrom, reportFailure } from "./io.js";

/**
 * Runs an operator command against the opened, migrated stores. Logs (including audit events until the
 * audit log lands) go to stderr as JSON lines; stdout is the command's own output.
 */
export async function withRuntime(
  io: CliIo,
  json: boolean,
  run: (runtime: Runtime) => Promise<number>,
): Promise<number> {
  let runtime: Runtime | null = null;
  try {
    const config = configFrom(io);
    const logger = createLogger({
      level: config.logLevel,
      destination: { write: (line: string) => io.stderr(line) } as NodeJS.WritableStream,
    });
    runtime = await openRuntime({ config, clock: systemClock, logger });
    return await run(runtime);
  } catch (err) {
    return reportFailure(io, err, json);
  } finally {
    await runtime?.close();
  }
}
