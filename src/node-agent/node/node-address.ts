import { networkInterfaces } from "node:os";

export interface NodeAddress {
  type: "InternalIP" | "ExternalIP" | "Hostname" | "InternalDNS" | "ExternalDNS";
  address: string;
}

type Interfaces = ReturnType<typeof networkInterfaces>;

/** --node-ip, else the first non-loopback IPv4 address, else 127.0.0.1. */
export function nodeIp(
  flag: string | undefined,
  interfaces: Interfaces = networkInterfaces(),
): string {
  if (flag) return flag;
  for (const addresses of Object.values(interfaces)) {
    for (const address of addresses ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address;
    }
  }
  return "127.0.0.1";
}

/** status.addresses: the InternalIP, then the Hostname (upstream's order). */
export function nodeAddresses(ip: string, hostname: string): NodeAddress[] {
  return [
    { type: "InternalIP", address: ip },
    { type: "Hostname", address: hostname },
  ];
}
