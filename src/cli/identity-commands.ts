import type { Command } from "commander";
import { registerAdminCommands } from "./admin-commands.js";
import type { CliIo, SetExit } from "./io.js";
import { registerTokenCommands } from "./token-commands.js";
import { registerUserCommands } from "./user-commands.js";

/** Identity and access from the command line: instance admins, invitations, offboarding, API tokens. */
export function registerIdentityCommands(program: Command, io: CliIo, setExit: SetExit): void {
  registerAdminCommands(program, io, setExit);
  registerUserCommands(program, io, setExit);
  registerTokenCommands(program, io, setExit);
}
