import path from "node:path";
import type { TOTP } from "otpauth";
import { URI } from "otpauth";
import type { Role } from "../../src/access/roles.js";
import { createSellerAccount } from "../../src/accounts/accounts-repo.js";
import { loadConfig } from "../../src/config/config.js";
import { putMembership } from "../../src/identity/memberships-repo.js";
import { ManualClock } from "../../src/platform/clock.js";
import { openRuntime, type Runtime } from "../../src/runtime.js";
import { createServices, type Services } from "../../src/services.js";
import { runCliCaptured } from "./cli.js";
import { capturingLogger } from "./log-capture.js";
import { createPostgresDatabase, type StoreName, tempDir } from "./stores.js";

export const PUBLIC_URL = "https://sp.example";
export const START = "2026-11-28T12:00:00.000Z";

export type Cleanups = Array<() => Promise<void> | void>;

/**
 * One Seller Pilot instance for CLI tests: `cli` runs commands through runCli with a fake io (stdin given per
 * call), `withRt` opens the same stores directly with a manual clock, `auditEntries` reads the audit log.
 */
export async function cliInstance(store: StoreName, cleanups: Cleanups) {
  const tmp = tempDir("sp-cli-identity-");
  cleanups.push(() => tmp.remove());
  const pg = store === "postgres" ? await createPostgresDatabase() : null;
  if (pg) cleanups.push(() => pg.drop());
  const env = {
    SELLER_PILOT_DATA_DIR: path.join(tmp.dir, "data"),
    SELLER_PILOT_LOG_LEVEL: "info",
    SELLER_PILOT_PUBLIC_URL: PUBLIC_URL,
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
  const cli = (argv: string[], stdin?: string) =>
    runCliCaptured(argv, { env, cwd: tmp.dir, ...(stdin === undefined ? {} : { stdin }) });
  /** Opens the instance's stores directly (its own key), with a manual clock, for seeding and checking. */
  const withRt = async <T>(run: (rt: Runtime, s: Services, clock: ManualClock) => Promise<T>, at = START) => {
    const clock = new ManualClock(at);
    const rt = await openRuntime({
      config: loadConfig(env, tmp.dir),
      clock,
      logger: capturingLogger().logger,
    });
    try {
      return await run(rt, createServices(rt), clock);
    } finally {
      await rt.close();
    }
  };
  const auditEntries = (action: string) =>
    withRt((rt) =>
      rt.database.db
        .selectFrom("audit_entries")
        .selectAll()
        .where("action", "=", action)
        .orderBy("seq")
        .execute(),
    );
  return { cli, withRt, auditEntries, dataDir: env.SELLER_PILOT_DATA_DIR };
}

export type CliInstance = Awaited<ReturnType<typeof cliInstance>>;

const OPERATOR = { kind: "operator", name: "test-seed" } as const;

/** Organisation "Agency" with accounts a1, a2; organisation "Other" with b1. */
export async function seedOrganisations(withRt: CliInstance["withRt"]) {
  return withRt(async (rt, s, clock) => {
    const orgA = await s.identity.createOrganisation(OPERATOR, "Agency");
    const orgB = await s.identity.createOrganisation(OPERATOR, "Other");
    const account = async (name: string, organisationId: string) =>
      (
        await createSellerAccount(
          rt.database.db,
          rt.fields,
          { name, region: "eu", organisationId },
          clock.now(),
        )
      ).id;
    return {
      orgA: orgA.id,
      orgB: orgB.id,
      a1: await account("Brand one", orgA.id),
      a2: await account("Brand two", orgA.id),
      b1: await account("Other brand", orgB.id),
    };
  });
}

/** A user of the organisation with roles, optionally with a confirmed authenticator app. */
export async function seedUser(
  rt: Runtime,
  s: Services,
  clock: ManualClock,
  input: { organisationId: string; email: string; roles: Array<[string, Role]>; totp: boolean },
) {
  const user = await s.identity.createUser(OPERATOR, {
    organisationId: input.organisationId,
    email: input.email,
    displayName: "Tess Tokens",
  });
  for (const [accountId, role] of input.roles) {
    await putMembership(
      rt.database.db,
      { userId: user.id, accountId, role, grantedBy: "operator:test" },
      clock.now(),
    );
  }
  if (input.totp) {
    const enrollment = await s.modules.totp.enroll(user.id, input.email);
    const totp = URI.parse(enrollment.uri) as TOTP;
    await s.modules.totp.confirm(user.id, totp.generate({ timestamp: clock.now().getTime() }));
  }
  return user.id;
}
