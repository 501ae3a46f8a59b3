import type { Config } from "../config/config.js";
import { loadConfig } from "../config/config.js";
import { AppError, isAppError } from "../platform/errors.js";
import { scrubSecrets } from "../platform/redact.js";

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The whole of stdin (for `--password-stdin`); absent where the process has none to offer. */
  readStdin?: () => Promise<string>;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Sets the exit code of the command that ran. */
export type SetExit = (code: number) => void;

export function configFrom(io: CliIo): Config {
  return loadConfig(io.env, io.cwd);
}

/** Reports a failure the way every command does: a stable code, a message, no stack, no secret. */
export function reportFailure(io: CliIo, err: unknown, json: boolean): number {
  const error = isAppError(err) ? err : new AppError("INTERNAL", undefined, { cause: err });
  const message = scrubSecrets(
    error.status >= 500 && error.code === "INTERNAL" ? describe(err) : error.message,
  );
  if (json) {
    io.stdout(`${JSON.stringify({ error: { code: error.code, message } })}\n`);
  } else {
    io.stderr(`error ${error.code}: ${message}\n`);
  }
  return EXIT.failed;
}

function describe(err: unknown): string {
  // Operators see the underlying reason on their own terminal; it is still scrubbed of token shapes.
  return err instanceof Error ? `${err.name}: ${err.message}` : "unknown failure";
}

export function writeJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
