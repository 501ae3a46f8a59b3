import type { Command } from "commander";
import { isPermission, PERMISSIONS } from "../access/permissions.js";
import { permissionsOfStored } from "../access/roles.js";
import { API_TOKEN_POLICY, type ApiTokenScopes } from "../identity/api-tokens.js";
import { findMembership } from "../identity/memberships-repo.js";
import { organisationOfAccount } from "../identity/organisations-repo.js";
import { MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import {
  CLI_ACTOR,
  type CommandResult,
  idArg,
  nameArg,
  type OperatorContext,
  operatorCommand,
  UsageError,
  usage,
} from "./identity-cli.js";
import { type CliIo, EXIT, type SetExit } from "./io.js";
import { findUserByRef, type UserRef, userRefArg } from "./user-commands.js";

const SCOPES_SYNTAX =
  'ACCOUNT[,ACCOUNT...]:PERMISSION[,PERMISSION...], e.g. "acc1,acc2:orders:read,inventory:read"';

/**
 * `--scopes` syntax: `ACCOUNTS:PERMISSIONS`, both comma-separated; the first colon splits them (account ids
 * hold none, permissions do). A token carries one permission list for all its accounts, so groups joined
 * with `;` (`acc1:orders:read;acc2:orders:read`) are accepted only when they name the same permissions.
 */
export function parseScopes(spec: string): ApiTokenScopes {
  const bad = (why: string) =>
    new UsageError("API_TOKEN_SCOPE_INVALID", `--scopes ${why}; expected ${SCOPES_SYNTAX}`);
  const accounts: string[] = [];
  let permissions: string[] | null = null;
  for (const group of spec.split(";").map((g) => g.trim())) {
    if (group === "") continue;
    const colon = group.indexOf(":");
    if (colon < 0) throw bad(`group "${group.slice(0, 40)}" has no ":"`);
    const ids = group
      .slice(0, colon)
      .split(",")
      .map((a) => a.trim());
    const perms = [
      ...new Set(
        group
          .slice(colon + 1)
          .split(",")
          .map((p) => p.trim()),
      ),
    ].sort();
    for (const id of ids) accounts.push(idArg("--scopes account", id));
    const unknown = perms.find((p) => !isPermission(p));
    if (unknown !== undefined) {
      throw bad(`names an unknown permission "${unknown.slice(0, 40)}" (known: ${PERMISSIONS.join(", ")})`);
    }
    if (permissions !== null && permissions.join(",") !== perms.join(",")) {
      throw bad(
        "gives accounts different permissions; a token has one permission list (create one token per list)",
      );
    }
    permissions = perms;
  }
  if (accounts.length === 0 || permissions === null) throw bad("is empty");
  if (accounts.length > API_TOKEN_POLICY.maxAccounts)
    throw bad(`names more than ${API_TOKEN_POLICY.maxAccounts} accounts`);
  return { accounts: [...new Set(accounts)].sort(), permissions };
}

/** `--ttl` as whole hours or days (`12h`, `30d`), within the token policy's bounds (1 hour to 365 days). */
export function parseTtl(raw: string): number {
  const match = /^([1-9][0-9]{0,4})([hd])$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * (match[2] === "h" ? MS.hour : MS.day) : Number.NaN;
  if (!(ms >= API_TOKEN_POLICY.minTtlMs && ms <= API_TOKEN_POLICY.maxTtlMs)) {
    throw new UsageError("API_TOKEN_TTL_INVALID", "--ttl must be 1h to 365d, written like 12h or 30d");
  }
  return ms;
}

interface TokenArgs {
  user: UserRef;
  scopes: ApiTokenScopes;
  ttlMs: number;
  name: string;
}

/**
 * The service mints tokens only for an MFA-verified session of their owner. The operator path stands in
 * for that session, so it asks what the session would prove: the user is active and has finished a
 * second factor. Scopes beyond the user's roles today are refused here too, though authorize() would
 * intersect them at every use anyway.
 */
async function createToken(ctx: OperatorContext, args: TokenArgs): Promise<CommandResult> {
  const { rt, services, target } = ctx;
  const db = rt.database.db;
  const { totp, passkeys, apiTokens } = services.modules;
  const user = await findUserByRef(db, args.user);
  target.user = user.id;
  if (user.status !== "active") throw new AppError("USER_DISABLED");
  if (!(await totp.isEnrolled(user.id)) && !(await passkeys.hasAny(user.id))) {
    throw new AppError(
      "MFA_ENROLLMENT_REQUIRED",
      "The user has not completed a second factor (authenticator app or passkey); tokens are issued only after that.",
    );
  }
  for (const accountId of args.scopes.accounts) {
    const membership = await findMembership(db, user.id, accountId);
    if (!membership || (await organisationOfAccount(db, accountId)) !== user.organisationId) {
      throw new AppError("API_TOKEN_SCOPE_INVALID", `The user has no role on seller account ${accountId}.`);
    }
    const held = permissionsOfStored(membership.role);
    const beyond = args.scopes.permissions.filter((p) => !(isPermission(p) && held.has(p)));
    if (beyond.length > 0) {
      throw new AppError(
        "API_TOKEN_SCOPE_INVALID",
        `The user's role ${membership.role} on seller account ${accountId} does not grant: ${beyond.join(", ")}.`,
      );
    }
  }
  // The token row records the operator where a session id would be: created_by_session = "operator:cli".
  const { token, info } = await apiTokens.create(
    { id: CLI_ACTOR, userId: user.id, mfaVerified: true },
    { name: args.name, scopes: args.scopes, ttlMs: args.ttlMs },
  );
  target.token = info.id;
  return {
    json: {
      token,
      id: info.id,
      name: info.name,
      userId: info.userId,
      scopes: info.scopes,
      createdAt: info.createdAt,
      expiresAt: info.expiresAt,
      createdBy: CLI_ACTOR,
    },
    text: `API token ${info.id} for user ${info.userId}, expires ${info.expiresAt}. It is shown this once; store it now:\n${token}\n`,
  };
}

export function registerTokenCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const tokens = program.command("token").description("Personal API tokens for scripts");

  tokens
    .command("create")
    .description(
      "Create a user's API token, scoped to seller accounts and permissions within the user's roles; the user must be active with a completed second factor. The token is printed once",
    )
    .option("--user <id>", "the token's owner, by id")
    .option("--email <address>", "the token's owner, by e-mail address")
    .requiredOption("--scopes <spec>", `accounts and permissions: ${SCOPES_SYNTAX}`)
    .requiredOption("--ttl <duration>", "lifetime, 1h to 365d: e.g. 12h, 30d")
    .option("--name <name>", "a label for the token", "cli")
    .option("--json", "print the token and its details as JSON", false)
    .action(
      async (options: {
        user?: string;
        email?: string;
        scopes: string;
        ttl: string;
        name: string;
        json: boolean;
      }) => {
        const args = await usage(io, options.json, () => ({
          user: userRefArg(options),
          scopes: parseScopes(options.scopes),
          ttlMs: parseTtl(options.ttl),
          name: nameArg("--name", options.name) ?? "cli",
        }));
        if (!args) return setExit(EXIT.usage);
        setExit(await operatorCommand(io, options.json, "cli.token.create", (ctx) => createToken(ctx, args)));
      },
    );
}
