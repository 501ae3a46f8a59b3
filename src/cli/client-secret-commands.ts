import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { isDemoMode } from "../config/config.js";
import type { ClientSecretRotation } from "../connect/client-secret-rotation.js";
import { AppError } from "../platform/errors.js";
import type { Runtime } from "../runtime.js";
import { CLI_ACTOR } from "./identity-cli.js";
import { type CliIo, EXIT, type SetExit, writeJson } from "./io.js";
import { withRuntime } from "./with-runtime.js";
import { withSpApi } from "./with-spapi.js";

async function withRotation(
  rt: Runtime,
  run: (rotation: ClientSecretRotation) => Promise<number>,
): Promise<number> {
  if (isDemoMode(rt.config)) {
    // Each demo sandbox derives its secret from this instance's seed: a rotation would not outlive the command.
    throw new AppError(
      "NOT_READY",
      "Client secret rotation needs a configured SP-API application (SELLER_PILOT_LWA_CLIENT_ID, _SECRET, SELLER_PILOT_APP_ID); demo mode has none.",
    );
  }
  return withSpApi(rt, (spapi) => run(spapi.clientSecret));
}

async function readNotification(io: CliIo, file: string | undefined): Promise<unknown> {
  let text: string;
  if (file !== undefined && file !== "-") text = await readFile(file, "utf8");
  else if (io.readStdin) text = await io.readStdin();
  else throw new AppError("VALIDATION_FAILED", "Pass the notification with --file FILE or on stdin.");
  if (text.length > 64 * 1024) throw new AppError("CLIENT_SECRET_NOTIFICATION_INVALID");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError("CLIENT_SECRET_NOTIFICATION_INVALID", "The notification is not JSON.");
  }
}

export function registerClientSecretCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const group = program
    .command("client-secret")
    .description("The LWA client secret and Amazon's 180-day rotation rule");

  group
    .command("rotate")
    .description(
      "Ask Amazon for a new client secret when the current one is 150 days old (--force: now); Amazon sends it in an APPLICATION_OAUTH_CLIENT_NEW_SECRET notification for `client-secret accept`",
    )
    .option("--force", "ask even before day 150", false)
    .option("--json", "print the outcome as JSON", false)
    .action(async (options: { force: boolean; json: boolean }) =>
      setExit(
        await withRuntime(io, options.json, (rt) =>
          withRotation(rt, async (rotation) => {
            const outcome = await rotation.requestIfDue({ force: options.force });
            if (options.json) writeJson(io, outcome);
            else if (outcome.requested)
              io.stdout(
                `Asked Amazon for a new client secret (current one ${outcome.age.ageDays} days old). Feed the notification Amazon sends to \`seller-pilot client-secret accept\`.\n`,
              );
            else
              io.stdout(
                `Not due: the client secret is ${outcome.age.ageDays ?? "?"} days old (rotation from day 150; Amazon's limit is 180). --force asks now.\n`,
              );
            return EXIT.ok;
          }),
        ),
      ),
    );

  group
    .command("accept")
    .description(
      "Take Amazon's APPLICATION_OAUTH_CLIENT_NEW_SECRET notification (JSON, from --file or stdin), verify the new secret with LWA, make it current and retire the old one",
    )
    .option("--file <path>", "the notification JSON (default: stdin)")
    .option("--json", "print the outcome as JSON", false)
    .action(async (options: { file?: string; json: boolean }) =>
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const notification = await readNotification(io, options.file);
          return withRotation(rt, async (rotation) => {
            const accepted = await rotation.accept(notification, CLI_ACTOR);
            if (options.json) writeJson(io, accepted);
            else
              io.stdout(
                `New client secret verified with Login with Amazon and in use (vault version ${accepted.version}); the old one is retired (Amazon honours it until ${accepted.oldExpiresAt}).\n`,
              );
            return EXIT.ok;
          });
        }),
      ),
    );
}
