import autocannon from "autocannon";

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  /** The server's certificate (PEM). autocannon itself never verifies; verify with a preflight request. */
  ca: string;
  /** Sent with every request (e.g. a bearer token). */
  headers?: Record<string, string>;
}

export interface LoadResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  durationSeconds: number;
}

/** One fixed-duration autocannon run; any error, timeout or non-2xx answer fails the benchmark. */
export async function loadTest(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    pipelining: 1,
    timeout: 10,
    tlsOptions: { ca: options.ca },
    ...(options.headers ? { headers: options.headers } : {}),
  });
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(
      `autocannon ${options.url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    );
  }
  if (result.requests.total === 0) throw new Error(`autocannon ${options.url}: no request completed`);
  return {
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    durationSeconds: result.duration,
  };
}
