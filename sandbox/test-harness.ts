import { listenSandbox, type RunningSandbox, type SandboxOptions } from "./app.js";
import { ManualSandboxClock } from "./clock.js";

/** A sandbox on a real loopback socket with a manual clock, plus small HTTP helpers for tests and benches. */
export interface SandboxHarness {
  running: RunningSandbox;
  clock: ManualSandboxClock;
  endpoint: string;
  token(sellerIndex?: number): Promise<string>;
  lwa(fields: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  call(
    method: string,
    path: string,
    accessToken: string | undefined,
    body?: unknown,
  ): Promise<{ status: number; headers: Headers; text: string; json: () => Record<string, unknown> }>;
  admin(body: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startHarness(options: SandboxOptions = {}): Promise<SandboxHarness> {
  const clock = new ManualSandboxClock();
  const running = await listenSandbox({ orders: 3_000, seed: 7, sellers: 2, clock, ...options });
  const { endpoint } = running;
  const sandbox = running.sandbox;
  const lwa: SandboxHarness["lwa"] = async (fields) => {
    const res = await fetch(running.lwaTokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return {
    running,
    clock: (options.clock as ManualSandboxClock | undefined) ?? clock,
    endpoint,
    lwa,
    async token(sellerIndex = 0) {
      const seller = sandbox.sellers[sellerIndex];
      if (!seller) throw new Error(`no seller ${sellerIndex}`);
      const res = await lwa({
        grant_type: "refresh_token",
        refresh_token: seller.refreshToken,
        client_id: sandbox.clientId,
        client_secret: sandbox.clientSecret(),
      });
      if (res.status !== 200) throw new Error(`token refresh failed: ${res.status}`);
      return res.body.access_token as string;
    },
    async call(method, path, accessToken, body) {
      const headers: Record<string, string> = {};
      if (accessToken !== undefined) headers["x-amz-access-token"] = accessToken;
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await fetch(`${endpoint}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
    },
    async admin(body) {
      const res = await fetch(`${endpoint}/_sandbox/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`admin call failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    },
    close: () => running.close(),
  };
}
