// Child process of sync-kill.test.ts: runs one orders sync for an account on the SQLite files the parent
// prepared, against the parent's sandbox, and prints a line per backfill window stored (the parent picks its
// moment to SIGKILL) and the summary as the last line.
import type { FeatureName } from "../../src/amazon/features.js";
import { type FileStackConfig, openFileStack } from "../support/sync-files.js";

const config = JSON.parse(process.env.SYNC_KILL_CONFIG ?? "{}") as FileStackConfig & {
  accountId: string;
  features: FeatureName[];
};
const stack = await openFileStack(config);
const engine = stack.engine(new Map([[config.accountId, config.features]]));
const summary = await engine.run(config.accountId, {
  streams: ["orders"],
  onProgress: (p) => {
    if (p.phase === "backfill") process.stdout.write(`progress ${p.done} ${p.total ?? 0}\n`);
  },
});
process.stdout.write(`${JSON.stringify(summary)}\n`);
await stack.close();
