import type { Config } from "../config/config.js";
import type { Operator } from "../identity/invitations.js";
import { principalLabel } from "../identity/invitations.js";
import { normalizeEmail } from "../identity/users-repo.js";
import { type ErrorCode, isAppError } from "../platform/errors.js";
import type { Runtime } from "../runtime.js";
import { createServices, type Services } from "../services.js";
import { type CliIo, EXIT, writeJson } from "./io.js";
import { withRuntime } from "./with-runtime.js";

/**
 * The CLI runs with shell access and the master key, so it acts as an operator principal: the services let
 * it past the team-manager checks, and every command leaves its own audit entry under this label.
 */
export const CLI_OPERATOR: Operator = { kind: "operator", name: "cli" };
export const CLI_ACTOR = principalLabel(CLI_OPERATOR);

/** An argument problem found before anything is opened: exit 2, nothing changed, nothing audited. */
export class UsageError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What a command prints once its audit entry is durable: a secret is never shown for an unaudited change. */
export interface CommandResult {
  json: unknown;
  text: string;
}

export interface OperatorContext {
  rt: Runtime;
  services: Services;
  /** Ids of what the command touched, filled in as it goes: they go into its audit entry. */
  target: Record<string, string>;
}

function printError(
  io: CliIo,
  json: boolean,
  error: { code: string; message: string; violations?: unknown },
) {
  if (json) io.stdout(`${JSON.stringify({ error })}\n`);
  else {
    const rules = Array.isArray(error.violations) ? ` (broken rules: ${error.violations.join(", ")})` : "";
    io.stderr(`error ${error.code}: ${error.message}${rules}\n`);
  }
}

/** Validates arguments; a UsageError becomes exit 2 with its code. */
export async function usage<T>(io: CliIo, json: boolean, parse: () => T | Promise<T>): Promise<T | null> {
  try {
    return await parse();
  } catch (err) {
    if (err instanceof UsageError) {
      printError(io, json, { code: err.code, message: err.message });
      return null;
    }
    throw err;
  }
}

/**
 * Runs an operator command on the opened stores and audits it as `action` by the CLI operator, whatever the
 * outcome (refusals carry their error code). Output is printed only after the entry is recorded.
 */
export async function operatorCommand(
  io: CliIo,
  json: boolean,
  action: string,
  run: (ctx: OperatorContext) => Promise<CommandResult>,
): Promise<number> {
  return withRuntime(io, json, async (rt) => {
    const ctx: OperatorContext = { rt, services: createServices(rt), target: {} };
    let result: CommandResult;
    try {
      result = await run(ctx);
    } catch (err) {
      const known = isAppError(err);
      // The refusal is what the operator must see; an audit failure on top of it goes to the log.
      await rt.audit
        .record({
          action,
          actor: CLI_ACTOR,
          outcome: known && err.status < 500 ? "denied" : "failure",
          target: ctx.target,
          reason: known ? err.code : "INTERNAL",
        })
        .catch((auditErr: unknown) => rt.logger.error({ err: auditErr, action }, "audit append failed"));
      const violations = known ? err.details?.violations : undefined;
      if (!known || !Array.isArray(violations)) throw err;
      // Password rules: every broken one is listed, so the operator fixes them in one go.
      printError(io, json, { code: err.code, message: err.message, violations });
      return EXIT.failed;
    }
    await rt.audit.record({ action, actor: CLI_ACTOR, outcome: "success", target: ctx.target });
    if (json) writeJson(io, result.json);
    else io.stdout(result.text);
    return EXIT.ok;
  });
}

/** An e-mail address argument, normalized; a malformed one is a usage error. */
export function emailArg(raw: string): string {
  try {
    return normalizeEmail(raw);
  } catch {
    throw new UsageError("EMAIL_INVALID", "--email must be an e-mail address such as jane.doe@example.com");
  }
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function idArg(option: string, raw: string): string {
  if (!ID.test(raw))
    throw new UsageError("VALIDATION_FAILED", `${option} must be an id (letters, digits, - and _)`);
  return raw;
}

export function nameArg(option: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const name = raw.trim();
  // Printable, one line, bounded like the stores' columns.
  if (name.length === 0 || name.length > 200 || /\p{Cc}/u.test(name)) {
    throw new UsageError("VALIDATION_FAILED", `${option} must be 1-200 printable characters`);
  }
  return name;
}

/** Where people open invitation links: the configured public URL, else this machine's HTTPS listener. */
export function publicBase(config: Pick<Config, "publicUrl" | "host" | "port">): string {
  if (config.publicUrl) return config.publicUrl;
  const host = ["0.0.0.0", "::", ""].includes(config.host) ? "localhost" : config.host;
  return `https://${host.includes(":") ? `[${host}]` : host}:${config.port}`;
}

export function enrollmentLink(config: Pick<Config, "publicUrl" | "host" | "port">, token: string): string {
  return `${publicBase(config)}/enroll?token=${encodeURIComponent(token)}`;
}

/** Reads a password from stdin (one trailing newline dropped); without a readable stdin it is a usage error. */
export async function passwordFromStdin(io: CliIo): Promise<string> {
  if (!io.readStdin) throw new UsageError("VALIDATION_FAILED", "--password-stdin needs a readable stdin");
  let text: string;
  try {
    text = await io.readStdin();
  } catch (err) {
    if (isAppError(err)) throw new UsageError(err.code, err.message);
    throw err;
  }
  return text.replace(/\r?\n$/, "");
}
