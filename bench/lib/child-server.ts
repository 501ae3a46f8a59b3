import { type ChildProcess, fork } from "node:child_process";

export type ServerKind = "app" | "bare";

/** What GET /healthz answers, on the app and on the bare server alike. */
export const HEALTHZ_BODY = JSON.stringify({ status: "ok" });

/** Parent -> child. The key travels over IPC, never on a command line. */
export type ToChild = { type: "start"; kind: ServerKind; cert: string; key: string } | { type: "stop" };

/** Child -> parent. */
export type FromChild =
  | { type: "listening"; port: number; info?: Record<string, string> }
  | { type: "failed"; message: string };

export interface ChildServer {
  kind: ServerKind;
  pid: number;
  port: number;
  /** What the child reported with its port (e.g. ids and a bearer token of the data it seeded). */
  info: Record<string, string>;
  stop(): Promise<void>;
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGKILL");
  await exited(child, 5_000);
}

/**
 * Starts one HTTPS server in its own process (so the load generator and the server do not share an
 * event loop) and waits until it listens on 127.0.0.1. The child inherits this process's loader (tsx).
 */
export async function startChildServer(
  entry: string,
  start: Extract<ToChild, { type: "start" }>,
  timeoutMs = 30_000,
): Promise<ChildServer> {
  const child = fork(entry, [], { execArgv: process.execArgv, stdio: ["ignore", 2, 2, "ipc"] });
  const send = (message: ToChild) => child.send(message);
  try {
    let info: Record<string, string> = {};
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${start.kind} server did not listen within ${timeoutMs} ms`)),
        timeoutMs,
      );
      child.on("message", (message: FromChild) => {
        clearTimeout(timer);
        if (message.type === "listening") {
          info = message.info ?? {};
          resolve(message.port);
        } else reject(new Error(`${start.kind} server failed: ${message.message}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${start.kind} server exited early (code ${code}, signal ${signal})`));
      });
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      send(start);
    });
    return {
      kind: start.kind,
      pid: child.pid ?? -1,
      port,
      info,
      async stop() {
        if (child.connected) send({ type: "stop" });
        if (!(await exited(child, 10_000))) await kill(child);
      },
    };
  } catch (err) {
    await kill(child);
    throw err;
  }
}
