/**
 * The load balancer's addresses, IP or else hostname, de-duplicated and sorted (upstream
 * collects them in a string set). Upstream clips this to 16 characters only for non-wide
 * output, and the server always prints wide, so it is never clipped here.
 */
export function loadBalancerAddresses(
  ingress: readonly { ip?: string; hostname?: string }[] | null | undefined,
): string {
  const addresses = new Set<string>();
  for (const entry of ingress ?? []) {
    if (entry.ip) addresses.add(entry.ip);
    else if (entry.hostname) addresses.add(entry.hostname);
  }
  return [...addresses].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(",");
}
