import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { redactDeep, safeError, safeUrl, scrubSecrets } from "./redact.js";

export type { Logger } from "pino";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface LoggerSettings {
  level: LogLevel;
  /** Where JSON lines go; stdout when omitted. */
  destination?: DestinationStream | NodeJS.WritableStream;
}

/** The last net: whatever path a value took into the line, token shapes do not leave the process. */
function scrubbingDestination(inner: DestinationStream | NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string) {
      inner.write(scrubSecrets(line));
    },
  };
}

interface RequestLike {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  ip?: unknown;
}

interface ReplyLike {
  statusCode?: unknown;
}

function serializeError(value: unknown): unknown {
  return value instanceof Error ? safeError(value) : redactDeep(value);
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { service: "seller-pilot" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => redactDeep(obj) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        // The first argument may be the merging object (formatters.log handles it); later ones feed %j/%o/%s.
        const cleaned = args.map((arg, index) =>
          typeof arg === "string" ? scrubSecrets(arg) : index === 0 ? arg : redactDeep(arg),
        );
        method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
    // Requests are logged by what identifies them, never by headers or bodies.
    serializers: {
      // formatters.log runs first and has already made errors safe; raw errors can still arrive here.
      err: serializeError,
      error: serializeError,
      req: (req: RequestLike) => ({
        id: req.id,
        method: req.method,
        url: typeof req.url === "string" ? safeUrl(req.url) : undefined,
        remoteAddress: req.ip,
      }),
      res: (res: ReplyLike) => ({ statusCode: res.statusCode }),
    },
  };
  const root = pino(options, scrubbingDestination(settings.destination ?? process.stdout));
  // pino applies neither formatters.log nor formatters.bindings to child bindings; redact them on the way
  // in. Children are created from their parent by prototype, so every descendant inherits this.
  const pinoChild = root.child;
  root.child = function child(this: Logger, bindings, childOptions) {
    return pinoChild.call(this, redactDeep(bindings) as typeof bindings, childOptions);
  } as Logger["child"];
  return root;
}
