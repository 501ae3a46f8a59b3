/** A Host header we are willing to echo back: a DNS name or IP literal with an optional port, nothing else. */
const SAFE_HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

export function isSafeHost(host: string | undefined): host is string {
  return typeof host === "string" && host.length <= 260 && SAFE_HOST.test(host);
}

/** Splits "name:port" / "[v6]:port" into the name part. */
export function hostName(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * The origin to put in links and redirects: the configured public URL when there is one (always in
 * production), otherwise the request's own Host if it is well-formed, else localhost.
 */
export function originOf(publicUrl: string | null, host: string | undefined, httpsPort?: number): string {
  if (publicUrl) return publicUrl;
  const name = isSafeHost(host) ? hostName(host) : "localhost";
  if (httpsPort === undefined) return `https://${isSafeHost(host) ? host : "localhost"}`;
  return httpsPort === 443 ? `https://${name}` : `https://${name}:${httpsPort}`;
}
