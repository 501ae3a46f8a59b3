import type { Command } from "commander";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import {
  listOrganisationAccountIds,
  listOrganisations,
  type Organisation,
} from "../identity/organisations-repo.js";
import { assertPasswordPolicy } from "../identity/password-policy.js";
import { findUserByEmail, isGenericAddress } from "../identity/users-repo.js";
import { AppError } from "../platform/errors.js";
import {
  CLI_ACTOR,
  CLI_OPERATOR,
  type CommandResult,
  emailArg,
  enrollmentLink,
  nameArg,
  type OperatorContext,
  operatorCommand,
  passwordFromStdin,
  usage,
} from "./identity-cli.js";
import { type CliIo, EXIT, type SetExit } from "./io.js";

/** The name of the organisation `admin create` makes on an instance that has none and was not told one. */
export const DEFAULT_ORGANISATION = "Default organisation";

interface AdminArgs {
  email: string;
  name: string | undefined;
  organisation: string | undefined;
  /** null: print an enrollment link instead. */
  password: string | null;
}

/**
 * `--organisation` names an organisation by id or exact name; none of that name is created. Without it the
 * instance's only organisation is used (or one is created on an empty instance); several are ambiguous.
 * Returns null when a new organisation is to be created. Nothing is written here.
 */
async function chooseOrganisation(db: Kysely<DB>, wanted: string | undefined): Promise<Organisation | null> {
  const all = await listOrganisations(db);
  if (wanted !== undefined) {
    const matches = all.filter((o) => o.id === wanted || o.name === wanted);
    if (matches.length > 1) {
      throw new AppError(
        "ORGANISATION_NOT_FOUND",
        `${matches.length} organisations are named so; pass the organisation's id to --organisation.`,
      );
    }
    return matches[0] ?? null;
  }
  if (all.length > 1) {
    throw new AppError(
      "ORGANISATION_NOT_FOUND",
      `This instance has ${all.length} organisations; name one with --organisation (name or id).`,
    );
  }
  return all[0] ?? null;
}

async function createAdmin(ctx: OperatorContext, args: AdminArgs): Promise<CommandResult> {
  const { rt, services, target } = ctx;
  const db = rt.database.db;
  const { identity, modules } = services;
  const displayName = args.name ?? args.email.slice(0, args.email.lastIndexOf("@"));
  const owner = { name: displayName, email: args.email };
  // Every refusal comes before the first write: a refused command leaves nothing half made.
  if (isGenericAddress(args.email)) throw new AppError("EMAIL_GENERIC");
  if (await findUserByEmail(db, args.email)) throw new AppError("EMAIL_TAKEN");
  if (args.password !== null) assertPasswordPolicy(args.password, owner);
  const existing = await chooseOrganisation(db, args.organisation);
  const accountIds = existing ? await listOrganisationAccountIds(db, existing.id) : [];
  const firstAccount = accountIds[0];
  if (args.password === null && firstAccount === undefined) {
    // Invitations belong to a seller account (the schema requires one); a fresh instance has none yet.
    throw new AppError(
      "ACCOUNT_NOT_FOUND",
      "The organisation has no seller account yet, and an enrollment link is an invitation to one: pipe the initial password in with --password-stdin instead.",
    );
  }

  const organisation =
    existing ?? (await identity.createOrganisation(CLI_OPERATOR, args.organisation ?? DEFAULT_ORGANISATION));
  target.organisation = organisation.id;
  const user = await identity.createUser(CLI_OPERATOR, {
    organisationId: organisation.id,
    email: args.email,
    displayName,
    isInstanceAdmin: true,
  });
  target.user = user.id;
  // The instance admin answers for the organisation's accounts: owner of each, so it can manage the team.
  const memberships: Array<{ accountId: string; role: string }> = [];
  for (const accountId of accountIds) {
    const m = await identity.grantRole(CLI_OPERATOR, { userId: user.id, accountId, role: "owner" });
    memberships.push({ accountId: m.accountId, role: m.role });
  }
  target.accounts = String(memberships.length);

  const summary = {
    organisation: { id: organisation.id, name: organisation.name, created: existing === null },
    user: { id: user.id, status: user.status, isInstanceAdmin: user.isInstanceAdmin },
    memberships,
  };
  const head = `Instance admin ${user.id} created in organisation ${organisation.id} (${existing ? "existing" : "new"}); owner of ${memberships.length} seller account(s).\n`;
  if (args.password !== null) {
    await modules.passwords.set(user.id, args.password, { owner, actor: CLI_ACTOR, reason: "initial" });
    return {
      json: { ...summary, passwordSet: true },
      text: `${head}Password set. The first sign-in enrolls a second factor (authenticator app or passkey).\n`,
    };
  }
  const { invitation, token } = await identity.invite(CLI_OPERATOR, {
    accountId: firstAccount as string,
    email: args.email,
    role: "owner",
  });
  target.invitation = invitation.id;
  const link = enrollmentLink(rt.config, token);
  return {
    json: {
      ...summary,
      passwordSet: false,
      invitation: { id: invitation.id, expiresAt: invitation.expiresAt, link },
    },
    text: `${head}Enrollment link (single use, expires ${invitation.expiresAt}); the admin sets a password and a second factor there:\n${link}\n`,
  };
}

export function registerAdminCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const admin = program.command("admin").description("Instance administrators");

  admin
    .command("create")
    .description(
      "Create an instance admin: owner of every seller account of its organisation (made if needed). Prints a single-use enrollment link, or with --password-stdin sets the password; a second factor is enrolled at the first sign-in either way",
    )
    .requiredOption("--email <address>", "the admin's own address (one person; no shared or generic mailbox)")
    .option("--name <name>", "display name (default: the part of the address before @)")
    .option(
      "--organisation <name-or-id>",
      `the organisation, by id or name; a name that does not exist is created (default: the instance's only organisation, else a new "${DEFAULT_ORGANISATION}")`,
    )
    .option(
      "--password-stdin",
      "read the initial password from stdin (e.g. piped from a password manager) instead of printing a link",
      false,
    )
    .option("--json", "print the outcome as JSON", false)
    .action(
      async (options: {
        email: string;
        name?: string;
        organisation?: string;
        passwordStdin: boolean;
        json: boolean;
      }) => {
        const args = await usage(io, options.json, async () => ({
          email: emailArg(options.email),
          name: nameArg("--name", options.name),
          organisation: nameArg("--organisation", options.organisation),
          password: options.passwordStdin ? await passwordFromStdin(io) : null,
        }));
        if (!args) return setExit(EXIT.usage);
        setExit(await operatorCommand(io, options.json, "cli.admin.create", (ctx) => createAdmin(ctx, args)));
      },
    );
}
