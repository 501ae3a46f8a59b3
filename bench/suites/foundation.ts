import { type Measurement, type Ratio, ratio, type SuiteOutput } from "../lib/report.js";
import type { Suite } from "../lib/suite.js";
import { HTTP, httpBenchmarks } from "./foundation-http.js";
import { POSTGRES, postgresBenchmarks } from "./foundation-postgres.js";
import { STORE, storeBenchmarks } from "./foundation-store.js";

export const foundation: Suite = {
  name: "foundation",
  description: "Encrypted store and HTTPS app overheads against plain baselines",
  async run({ progress }): Promise<SuiteOutput> {
    const measurements: Record<string, Measurement> = {};
    const ratios: Record<string, Ratio | null> = {};
    const skipped: Record<string, string> = {};

    Object.assign(measurements, await storeBenchmarks(progress));
    ratios.storeWriteVsPlain = ratio(
      measurements,
      "storeWriteEncryptedRepo",
      "storeWritePlain",
      "rows/s written through the real path / rows/s with a plain prepared statement (below 1: slower)",
    );
    ratios.storeReadVsPlain = ratio(
      measurements,
      "storeReadEncryptedRepo",
      "storeReadPlain",
      "point reads/s through the real path / point reads/s with a plain prepared statement (below 1: slower)",
    );

    ratios.storeWriteEncryptedVsPlainRepo = ratio(
      measurements,
      "storeWriteEncryptedRepo",
      "storeWritePlainRepo",
      "diagnostic: the same repo writes with / without SQLCipher and secure_delete (the encryption's share)",
    );
    ratios.storeReadEncryptedVsPlainRepo = ratio(
      measurements,
      "storeReadEncryptedRepo",
      "storeReadPlainRepo",
      "diagnostic: the same repo reads with / without SQLCipher (the encryption's share)",
    );

    const adminUrl = process.env.TEST_DATABASE_URL;
    if (adminUrl) {
      Object.assign(measurements, await postgresBenchmarks(adminUrl, progress));
      ratios.postgresWriteVsSqlite = ratio(
        measurements,
        "postgresWriteRepo",
        "sqliteWriteRepo",
        "rows/s through putSetting on PostgreSQL / on the encrypted SQLite store (below 1: slower)",
      );
    } else {
      ratios.postgresWriteVsSqlite = null;
      skipped.postgresWriteVsSqlite = "TEST_DATABASE_URL is not set; PostgreSQL was not measured";
    }

    const http = await httpBenchmarks(progress);
    Object.assign(measurements, http.measurements);
    ratios.httpsHealthzVsBareNode = ratio(
      measurements,
      "httpsHealthzAppReqPerSec",
      "httpsHealthzBareReqPerSec",
      "req/s of GET /healthz on the real app / on a bare node:https server (below 1: slower)",
    );
    ratios.httpsHealthzP99VsBareNode = ratio(
      measurements,
      "httpsHealthzAppP99",
      "httpsHealthzBareP99",
      "p99 latency of the real app / of the bare server (above 1: slower)",
    );

    return {
      config: {
        store: STORE,
        postgres: adminUrl ? POSTGRES : null,
        http: { ...HTTP, tls: http.tls },
        interleaving: "A, B, A, B per round after one unrecorded warm-up per side; medians over rounds",
      },
      measurements,
      ratios,
      skipped,
      notes: [
        "Each store round uses a fresh temp database on each side; only the write loop and the read loop are timed.",
        "The encrypted side's file is checked to have no plaintext SQLite header, the plain side's to have one.",
        "The plain side has no secure_delete and no Kysely: the ratio is the whole cost of our write/read path. " +
          "The plainRepo side (diagnostic) runs the repo through Kysely on the unkeyed handle, splitting that " +
          "cost into encryption (encrypted / plainRepo) and query building (plainRepo / plain).",
        "Each HTTPS server runs in its own child process; autocannon runs in this process, so on a 2-core " +
          "machine load generator and server each get about one core and the bare figure may be client-bound.",
        "autocannon does not verify certificates; one verified preflight request per server checks status, " +
          "body and the negotiated TLS version.",
      ],
    };
  },
};
