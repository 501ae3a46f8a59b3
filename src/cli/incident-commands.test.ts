import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCliCaptured } from "../../test/support/cli.js";
import { createPostgresDatabase, STORES, type StoreName, tempDir } from "../../test/support/stores.js";
import { createDatabaseAuditSink } from "../audit/audit-log.js";
import { loadConfig } from "../config/config.js";
import { loadMasterKey } from "../crypto/master-key.js";
import { openDatabase } from "../db/database.js";
import { systemClock } from "../platform/clock.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function instance(store: StoreName) {
  const tmp = tempDir("sp-cli-incidents-");
  cleanups.push(() => tmp.remove());
  const pg = store === "postgres" ? await createPostgresDatabase() : null;
  if (pg) cleanups.push(() => pg.drop());
  const env = {
    SELLER_PILOT_DATA_DIR: path.join(tmp.dir, "data"),
    SELLER_PILOT_LOG_LEVEL: "warn",
    SELLER_PILOT_INCIDENT_CONTACT: "Incident desk",
    SELLER_PILOT_INCIDENT_CANARY_ORDERS: "CANARY-1,CANARY-2",
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
  const cli = (argv: string[]) => runCliCaptured(argv, { env, cwd: tmp.dir });
  /** Writes audit entries into the instance's own log, as the server would. */
  const record = async (order: string) => {
    const config = loadConfig(env, tmp.dir);
    const master = await loadMasterKey(config.masterKey);
    const database = await openDatabase(config.database, master.key);
    const audit = createDatabaseAuditSink({ database, clock: systemClock, master: master.key });
    try {
      await audit.record({ action: "pii.reveal", actor: "user:u-9", outcome: "denied", target: { order } });
    } finally {
      await audit.close();
      await database.close();
    }
  };
  return { cli, record };
}

describe("seller-pilot incidents (CLI)", () => {
  it("documents its subcommands and exits 2 on usage errors", async () => {
    const { cli } = await instance("sqlite");
    const help = await cli(["incidents", "--help"]);
    expect(help.code).toBe(0);
    for (const sub of ["list", "show", "transition", "detect"]) expect(help.stdout).toContain(sub);
    for (const argv of [
      ["incidents", "show"],
      ["incidents", "transition", "some-id", "backwards"],
      ["incidents", "detect", "--at", "tomorrow"],
    ]) {
      expect((await cli(argv)).code, argv.join(" ")).toBe(2);
    }
  });
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`seller-pilot incidents on ${target.name}`, () => {
    it("detects, lists and shows an incident; refuses a backward transition with exit 1", async () => {
      const { cli, record } = await instance(target.name);
      expect((await cli(["migrate"])).code).toBe(0);
      const empty = await cli(["incidents", "list", "--json"]);
      expect(empty.code).toBe(0);
      expect(empty.json()).toEqual({ incidents: [] });

      await record("CANARY-2");
      const detect = await cli(["incidents", "detect", "--json"]);
      expect(detect.code).toBe(0);
      expect(detect.json().opened).toHaveLength(1);
      const id = detect.json().opened[0] as string;

      const list = await cli(["incidents", "list", "--json"]);
      expect(list.json().incidents).toMatchObject([{ id, rule: "canary_read", state: "detected" }]);
      const text = await cli(["incidents", "list"]);
      expect(text.stdout).toContain(id);
      expect(text.stdout).toMatch(/2[34]h\d\dm left/);

      const show = await cli(["incidents", "show", id, "--json"]);
      expect(show.code).toBe(0);
      expect(show.json()).toMatchObject({
        incident: { id, pointOfContact: "Incident desk" },
        timeline: [{ kind: "detected" }],
        notices: { amazon: { to: "security@amazon.com" } },
      });
      const human = await cli(["incidents", "show", id]);
      expect(human.stdout).toContain("Timeline:");

      expect((await cli(["incidents", "transition", id, "eradicated", "--note", "rebuilt host"])).code).toBe(
        0,
      );
      const back = await cli(["incidents", "transition", id, "contained", "--json"]);
      expect(back.code).toBe(1);
      expect(back.json().error.code).toBe("INCIDENT_TRANSITION_INVALID");
      const missing = await cli(["incidents", "show", "no-such-incident", "--json"]);
      expect(missing.code).toBe(1);
      expect(missing.json().error.code).toBe("INCIDENT_NOT_FOUND");
    });
  });
}
