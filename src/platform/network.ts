/** IPv4 /24 or IPv6 /48: a network, not an address (the address itself would be personal data). */
export function networkOf(ip: string): string | null {
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (ip.includes(":")) {
    const groups = ip.split("::")[0]?.split(":") ?? [];
    return `${groups.slice(0, 3).join(":") || "0"}::/48`;
  }
  return null;
}
