/**
 * Service links: the environment variables that tell a container where the
 * services of its namespace are (`NAME_SERVICE_HOST`, `NAME_SERVICE_PORT`, the
 * Docker-link style `NAME_PORT_80_TCP_ADDR`, …), as the kubelet makes them.
 */
import type { KubeObject } from "../../resources/kind.ts";

interface ServicePort {
  name?: string;
  port?: number;
  protocol?: string;
}

interface ServiceFields {
  metadata?: { name?: string; namespace?: string };
  spec?: { clusterIP?: string; ports?: ServicePort[] };
}

/** The master service: its variables go to every pod, links enabled or not. */
const MASTER_NAMESPACE = "default";
const MASTER_SERVICES = new Set(["kubernetes"]);

/**
 * The variables for a pod in `namespace`: the `kubernetes` service of `default`
 * always, the services of `namespace` only with links enabled. A service of the
 * pod's own namespace wins over a master service of the same name.
 */
export function serviceEnvironment(
  services: readonly KubeObject[],
  namespace: string,
  enableServiceLinks: boolean,
): Map<string, string> {
  const chosen = new Map<string, ServiceFields>();
  const sorted = [...services] as ServiceFields[];
  sorted.sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  for (const service of sorted) {
    if (!hasClusterIp(service)) continue;
    const name = service.metadata?.name ?? "";
    const serviceNamespace = service.metadata?.namespace ?? "";
    if (serviceNamespace === MASTER_NAMESPACE && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, service);
    } else if (serviceNamespace === namespace && enableServiceLinks) {
      chosen.set(name, service);
    }
  }
  const env = new Map<string, string>();
  for (const service of chosen.values()) {
    for (const [key, value] of serviceVariables(service)) env.set(key, value);
  }
  return env;
}

function hasClusterIp(service: ServiceFields): boolean {
  const ip = service.spec?.clusterIP ?? "";
  return ip !== "" && ip !== "None";
}

function serviceVariables(service: ServiceFields): [string, string][] {
  const prefix = variableName(service.metadata?.name ?? "");
  const ip = service.spec?.clusterIP ?? "";
  const ports = service.spec?.ports ?? [];
  const out: [string, string][] = [[`${prefix}_SERVICE_HOST`, ip]];
  const first = ports[0];
  if (first) out.push([`${prefix}_SERVICE_PORT`, String(first.port ?? 0)]);
  for (const port of ports) {
    if (port.name) {
      out.push([`${prefix}_SERVICE_PORT_${variableName(port.name)}`, String(port.port ?? 0)]);
    }
  }
  ports.forEach((port, i) => {
    const protocol = (port.protocol || "TCP").toLowerCase();
    const number = port.port ?? 0;
    const url = `${protocol}://${joinHostPort(ip, number)}`;
    // Docker special-cases the first port.
    if (i === 0) out.push([`${prefix}_PORT`, url]);
    const portPrefix = `${prefix}_PORT_${number}_${protocol.toUpperCase()}`;
    out.push(
      [portPrefix, url],
      [`${portPrefix}_PROTO`, protocol],
      [`${portPrefix}_PORT`, String(number)],
      [`${portPrefix}_ADDR`, ip],
    );
  });
  return out;
}

function variableName(name: string): string {
  return name.replaceAll("-", "_").toUpperCase();
}

/** IPv6 addresses get brackets, as Go's net.JoinHostPort. */
function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
