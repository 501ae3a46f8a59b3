import { createLogger, type Logger, type LogLevel } from "../../src/platform/logger.js";

/** A real logger whose finished JSON lines are kept in memory for leak scans and assertions. */
export function capturingLogger(level: LogLevel = "trace"): {
  logger: Logger;
  lines: string[];
  text(): string;
} {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    destination: {
      write(line: string) {
        lines.push(line);
        return true;
      },
    } as NodeJS.WritableStream,
  });
  return { logger, lines, text: () => lines.join("") };
}
