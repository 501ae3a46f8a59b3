// HTTPS: GET /healthz on the real app against a bare node:https server, each in its own process.
import https from "node:https";
import type { TLSSocket } from "node:tls";
import { fileURLToPath } from "node:url";
import { loadTest } from "../lib/autocannon.js";
import { type ChildServer, HEALTHZ_BODY, startChildServer } from "../lib/child-server.js";
import { benchCertificate, type CertificatePair } from "../lib/fixtures.js";
import { interleave, type Side, series } from "../lib/interleave.js";
import type { Progress } from "../lib/progress.js";
import { type Measurement, measurement } from "../lib/report.js";

export const HTTP = { connections: 50, durationSeconds: 5, warmupSeconds: 2, rounds: 3 } as const;
const SERVER_ENTRY = fileURLToPath(new URL("../servers/https-target.ts", import.meta.url));

export interface Preflight {
  protocol: string;
  cipher: string;
  contentType: string;
}

/** One verified request (the certificate is trusted via `ca`, unlike autocannon's connections). */
function preflight(port: number, cert: CertificatePair): Promise<Preflight> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      { host: "127.0.0.1", port, path: "/healthz", ca: cert.cert, agent: false, timeout: 10_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          if (response.statusCode !== 200 || body !== HEALTHZ_BODY) {
            reject(new Error(`preflight :${port}: ${response.statusCode} ${body.slice(0, 200)}`));
            return;
          }
          const socket = response.socket as TLSSocket;
          resolve({
            protocol: socket.getProtocol() ?? "unknown",
            cipher: socket.getCipher().standardName,
            contentType: String(response.headers["content-type"]),
          });
        });
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error(`preflight :${port}: timed out`)));
    request.on("error", reject);
  });
}

export async function httpBenchmarks(
  progress: Progress,
): Promise<{ measurements: Record<string, Measurement>; tls: Record<string, Preflight> }> {
  progress(
    `https: GET /healthz, ${HTTP.connections} connections, ${HTTP.durationSeconds} s x ${HTTP.rounds} rounds per side`,
  );
  const cert = await benchCertificate();
  const servers: ChildServer[] = [];
  try {
    for (const kind of ["app", "bare"] as const) {
      const server = await startChildServer(SERVER_ENTRY, { type: "start", kind, ...cert });
      servers.push(server);
      progress(`${kind} server listening on 127.0.0.1:${server.port} (pid ${server.pid})`);
    }
    const [app, bare] = servers as [ChildServer, ChildServer];
    const tls = { app: await preflight(app.port, cert), bare: await preflight(bare.port, cert) };
    const url = (server: ChildServer) => `https://127.0.0.1:${server.port}/healthz`;
    const run = (server: ChildServer, durationSeconds: number) =>
      loadTest({ url: url(server), connections: HTTP.connections, durationSeconds, ca: cert.cert });
    const side = (label: string, server: ChildServer): Side => ({
      label,
      run: async () => {
        const result = await run(server, HTTP.durationSeconds);
        return { reqPerSec: result.reqPerSec, p99Ms: result.p99Ms, total: result.total };
      },
    });
    const samples = await interleave({
      rounds: HTTP.rounds,
      sides: [side("app", app), side("bare", bare)],
      progress,
      warmup: async (s) => {
        await run(s.label === "app" ? app : bare, HTTP.warmupSeconds);
      },
    });
    return {
      tls,
      measurements: {
        httpsHealthzAppReqPerSec: measurement(
          "req/s",
          "buildApp (helmet, request ids, zod serializer, warn-level logger) on a migrated encrypted store",
          series(samples, "app", "reqPerSec"),
        ),
        httpsHealthzBareReqPerSec: measurement(
          "req/s",
          "bare node:https, same certificate and TLS options, same JSON body, minimal headers",
          series(samples, "bare", "reqPerSec"),
        ),
        httpsHealthzAppP99: measurement("ms", "p99 latency, real app", series(samples, "app", "p99Ms")),
        httpsHealthzBareP99: measurement(
          "ms",
          "p99 latency, bare node:https",
          series(samples, "bare", "p99Ms"),
        ),
      },
    };
  } finally {
    for (const server of servers.reverse()) await server.stop();
  }
}
