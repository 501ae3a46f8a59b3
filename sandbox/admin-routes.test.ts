import { afterEach, describe, expect, it } from "vitest";
import { type SandboxHarness, startHarness } from "./test-harness.js";

let h: SandboxHarness;
afterEach(async () => {
  await h.close();
});

const PATH = "/fba/inventory/v1/summaries?granularityType=Marketplace";

describe("fault injection", () => {
  async function inventory(token: string) {
    const market = h.running.sandbox.sellers[0]?.marketplaceIds[0];
    return h.call("GET", `${PATH}&granularityId=${market}&marketplaceIds=${market}`, token);
  }

  it("answers bursts of 5xx and 429, then recovers", async () => {
    h = await startHarness({ rateLimits: { getInventorySummaries: { rate: 100, burst: 100 } } });
    const token = await h.token();
    await h.admin({ serverErrors: 2, serverErrorStatus: 503 });
    expect((await inventory(token)).status).toBe(503);
    const second = await inventory(token);
    expect(second.status).toBe(503);
    expect(second.json().errors).toEqual([expect.objectContaining({ code: "ServiceUnavailable" })]);
    expect((await inventory(token)).status).toBe(200);
    await h.admin({ throttles: 3 });
    for (let i = 0; i < 3; i++) {
      const res = await inventory(token);
      expect(res.status).toBe(429);
      expect(res.headers.get("x-amzn-ratelimit-limit")).toBe("100");
    }
    expect((await inventory(token)).status).toBe(200);
  });

  it("sends truncated JSON bodies when asked for malformed responses", async () => {
    h = await startHarness();
    const token = await h.token();
    await h.admin({ malformed: 1 });
    const broken = await inventory(token);
    expect(broken.status).toBe(200);
    expect(() => JSON.parse(broken.text)).toThrow();
    const fine = await inventory(token);
    expect(fine.json()).toHaveProperty("payload");
  });

  it("adds latency through the injected delay, and expires every token on demand", async () => {
    const delays: number[] = [];
    h = await startHarness({
      delay: async (ms) => {
        delays.push(ms);
      },
      faults: { latencyMs: 250 },
    });
    const token = await h.token();
    expect((await inventory(token)).status).toBe(200);
    expect(delays).toEqual([250]);
    await h.admin({ latencyMs: 0, expireTokens: true });
    const expired = await inventory(token);
    expect(expired.status).toBe(403);
    expect(expired.json().errors).toEqual([
      expect.objectContaining({ details: "The access token you provided has expired." }),
    ]);
    expect((await inventory(await h.token())).status).toBe(200);
    expect(delays).toEqual([250]);
  });

  it("refuses the admin endpoints to anything but loopback", async () => {
    h = await startHarness();
    const app = h.running.sandbox.app;
    const remote = await app.inject({
      method: "POST",
      url: "/_sandbox/faults",
      remoteAddress: "10.1.2.3",
      payload: {},
    });
    expect(remote.statusCode).toBe(403);
    const notes = await app.inject({
      method: "GET",
      url: "/_sandbox/notifications",
      remoteAddress: "192.168.0.9",
    });
    expect(notes.statusCode).toBe(403);
    const local = await app.inject({ method: "GET", url: "/_sandbox/faults", remoteAddress: "127.0.0.1" });
    expect(local.statusCode).toBe(200);
  });

  it("validates admin input and resets", async () => {
    h = await startHarness();
    const res = await fetch(`${h.endpoint}/_sandbox/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ serverErrors: -1 }),
    });
    expect(res.status).toBe(400);
    const unknown = await fetch(`${h.endpoint}/_sandbox/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ revoke: "A000" }),
    });
    expect(unknown.status).toBe(404);
    await h.admin({ throttles: 5 });
    expect(await h.admin({ reset: true })).toMatchObject({ throttles: 0, serverErrors: 0 });
  });
});
