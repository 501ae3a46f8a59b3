import type { Command } from "commander";
import type { Kysely } from "kysely";
import { isRole, ROLES, type Role } from "../access/roles.js";
import { findSellerAccount } from "../accounts/accounts-repo.js";
import type { DB } from "../db/schema.js";
import { findMembership } from "../identity/memberships-repo.js";
import { organisationOfAccount } from "../identity/organisations-repo.js";
import { findUser, findUserByEmail, isGenericAddress, type User } from "../identity/users-repo.js";
import { AppError } from "../platform/errors.js";
import {
  CLI_ACTOR,
  CLI_OPERATOR,
  type CommandResult,
  emailArg,
  enrollmentLink,
  idArg,
  nameArg,
  type OperatorContext,
  operatorCommand,
  UsageError,
  usage,
} from "./identity-cli.js";
import { type CliIo, EXIT, type SetExit } from "./io.js";

/** `--email` or `--user`, exactly one: how the user commands name an existing user. */
export type UserRef = { email: string } | { userId: string };

export function userRefArg(options: { email?: string; user?: string }): UserRef {
  if ((options.email === undefined) === (options.user === undefined)) {
    throw new UsageError("VALIDATION_FAILED", "name the user with exactly one of --email or --user");
  }
  return options.user !== undefined
    ? { userId: idArg("--user", options.user) }
    : { email: emailArg(options.email ?? "") };
}

export async function findUserByRef(db: Kysely<DB>, ref: UserRef): Promise<User> {
  const user = "userId" in ref ? await findUser(db, ref.userId) : await findUserByEmail(db, ref.email);
  if (!user) throw new AppError("USER_NOT_FOUND");
  return user;
}

function roleArg(raw: string): Role {
  if (!isRole(raw)) throw new UsageError("ROLE_UNKNOWN", `--role must be one of: ${ROLES.join(", ")}`);
  return raw;
}

interface InviteArgs {
  email: string;
  role: Role;
  accountId: string;
  name: string | undefined;
}

/**
 * An invitation (single use, 72 h) to the account with the role. With --name the user is created now, so
 * scripts get its id at once; otherwise acceptance creates it with the name the person enters.
 */
async function inviteUser(ctx: OperatorContext, args: InviteArgs): Promise<CommandResult> {
  const { rt, services, target } = ctx;
  const db = rt.database.db;
  target.account = args.accountId;
  target.role = args.role;
  if (!(await findSellerAccount(db, args.accountId))) throw new AppError("ACCOUNT_NOT_FOUND");
  const organisationId = await organisationOfAccount(db, args.accountId);
  if (organisationId === null) {
    throw new AppError(
      "ORGANISATION_NOT_FOUND",
      "This seller account belongs to no organisation yet; nobody can be invited to it.",
    );
  }
  if (isGenericAddress(args.email)) throw new AppError("EMAIL_GENERIC");
  // Refuse here what acceptance would refuse, rather than hand out a link that cannot work.
  let user = await findUserByEmail(db, args.email);
  if (user && user.organisationId !== organisationId) throw new AppError("EMAIL_TAKEN");
  if (user && user.status !== "active") throw new AppError("USER_DISABLED");
  if (user) {
    const held = await findMembership(db, user.id, args.accountId);
    if (held) {
      throw new AppError(
        "BAD_REQUEST",
        `This user already holds the role ${held.role} on this seller account; change roles under Team & roles.`,
      );
    }
  }
  const created = !user && args.name !== undefined;
  if (!user && args.name !== undefined) {
    user = await services.identity.createUser(CLI_OPERATOR, {
      organisationId,
      email: args.email,
      displayName: args.name,
    });
  }
  if (user) target.user = user.id;
  const { invitation, token } = await services.identity.invite(CLI_OPERATOR, {
    accountId: args.accountId,
    email: args.email,
    role: args.role,
  });
  target.invitation = invitation.id;
  const link = enrollmentLink(rt.config, token);
  return {
    json: {
      ...(user ? { user: { id: user.id, status: user.status, created } } : {}),
      invitation: {
        id: invitation.id,
        accountId: invitation.accountId,
        role: invitation.role,
        expiresAt: invitation.expiresAt,
        link,
      },
    },
    text: `${user ? `User ${user.id} ${created ? "created" : "exists"}. ` : ""}Invitation ${invitation.id} as ${invitation.role} on ${invitation.accountId} (single use, expires ${invitation.expiresAt}); the person sets a password and a second factor at:\n${link}\n`,
  };
}

async function disableUser(ctx: OperatorContext, ref: UserRef): Promise<CommandResult> {
  const { rt, services, target } = ctx;
  const db = rt.database.db;
  const user = await findUserByRef(db, ref);
  target.user = user.id;
  await services.identity.disableUser(CLI_OPERATOR, user.id);
  const after = (await findUser(db, user.id)) ?? user;
  return {
    json: {
      user: { id: after.id, status: after.status, disabledAt: after.disabledAt },
      sessionsRevoked: true,
      apiTokensRevoked: true,
    },
    text: `User ${after.id} disabled; their sessions and API tokens were revoked.\n`,
  };
}

/** Lifts a sign-in lock before its cool-down ends; refused (USER_NOT_LOCKED) when there is none. */
async function unlockUser(ctx: OperatorContext, ref: UserRef): Promise<CommandResult> {
  const { rt, services, target } = ctx;
  const user = await findUserByRef(rt.database.db, ref);
  target.user = user.id;
  await services.modules.lockout.unlock(user.id, CLI_ACTOR);
  return {
    json: { user: { id: user.id, locked: false } },
    text: `User ${user.id} unlocked; they can sign in again.\n`,
  };
}

export function registerUserCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const user = program.command("user").description("Users: invitations, unlocking and offboarding");

  user
    .command("create")
    .description(
      "Invite a person to a seller account with a role: prints a single-use, expiring link where they set a password and a second factor",
    )
    .requiredOption("--email <address>", "the person's own address (no shared or generic mailbox)")
    .requiredOption("--role <role>", `one of: ${ROLES.join(", ")}`)
    .requiredOption("--account <id>", "the seller account id (see account list)")
    .option(
      "--name <name>",
      "create the user now with this display name (its id is printed); without it, acceptance creates it",
    )
    .option("--json", "print the outcome as JSON", false)
    .action(
      async (options: { email: string; role: string; account: string; name?: string; json: boolean }) => {
        const args = await usage(io, options.json, () => ({
          email: emailArg(options.email),
          role: roleArg(options.role),
          accountId: idArg("--account", options.account),
          name: nameArg("--name", options.name),
        }));
        if (!args) return setExit(EXIT.usage);
        setExit(await operatorCommand(io, options.json, "cli.user.create", (ctx) => inviteUser(ctx, args)));
      },
    );

  user
    .command("disable")
    .description(
      "Offboard a user: disabled at once, every session and API token revoked in the same transaction",
    )
    .option("--email <address>", "the user's address")
    .option("--user <id>", "the user's id")
    .option("--json", "print the outcome as JSON", false)
    .action(async (options: { email?: string; user?: string; json: boolean }) => {
      const ref = await usage(io, options.json, () => userRefArg(options));
      if (!ref) return setExit(EXIT.usage);
      setExit(await operatorCommand(io, options.json, "cli.user.disable", (ctx) => disableUser(ctx, ref)));
    });

  user
    .command("unlock")
    .description("Lift a user's sign-in lock (after repeated failed sign-ins) before the cool-down ends")
    .option("--email <address>", "the user's address")
    .option("--user <id>", "the user's id")
    .option("--json", "print the outcome as JSON", false)
    .action(async (options: { email?: string; user?: string; json: boolean }) => {
      const ref = await usage(io, options.json, () => userRefArg(options));
      if (!ref) return setExit(EXIT.usage);
      setExit(await operatorCommand(io, options.json, "cli.user.unlock", (ctx) => unlockUser(ctx, ref)));
    });
}
