import { systemClock } from "../platform/clock.js";
import { AppError, isAppError } from "../platform/errors.js";
import { configSummary, runDoctor } from "./doctor.js";
import { type CliIo, configFrom, EXIT, writeJson } from "./io.js";

const MARK = { ok: "ok  ", warn: "warn", fail: "FAIL" } as const;

export async function doctorCommand(io: CliIo, options: { json: boolean }): Promise<number> {
  let config: ReturnType<typeof configFrom>;
  try {
    config = configFrom(io);
  } catch (err) {
    const error = isAppError(err) ? err : new AppError("CONFIG_INVALID");
    const checks = [
      { name: "configuration", status: "fail" as const, detail: error.message, code: error.code },
    ];
    if (options.json) writeJson(io, { ok: false, checks });
    else io.stdout(`FAIL configuration  ${error.message}\n`);
    return EXIT.failed;
  }
  const checks = await runDoctor(config, systemClock);
  const ok = checks.every((c) => c.status !== "fail");
  if (options.json) {
    writeJson(io, { ok, config: configSummary(config), checks });
  } else {
    const width = Math.max(...checks.map((c) => c.name.length));
    for (const check of checks)
      io.stdout(`${MARK[check.status]} ${check.name.padEnd(width)}  ${check.detail}\n`);
    io.stdout(ok ? "\nNo problems found.\n" : "\nProblems found: see the FAIL lines above.\n");
  }
  return ok ? EXIT.ok : EXIT.failed;
}
