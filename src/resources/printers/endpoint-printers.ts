/** Endpoints (core/v1) and EndpointSlices (discovery.k8s.io/v1). */
import type { KubeObject } from "../kind.ts";
import { ageOf, nameOf } from "./object-meta-cells.ts";
import type { PrinterSet } from "./resource-printer.ts";
import { ageColumn, column, nameColumn } from "./table-column.ts";

interface Endpoints {
  subsets?:
    | {
        addresses?: { ip?: string }[] | null;
        ports?: { port?: number }[] | null;
      }[]
    | null;
}

interface EndpointSlice {
  addressType?: string;
  ports?: { port?: number | null; name?: string | null }[] | null;
  endpoints?: { addresses?: string[] | null }[] | null;
}

const endpointsColumns = [
  nameColumn,
  column(
    "Endpoints",
    "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.",
  ),
  ageColumn,
];

const endpointSliceColumns = [
  nameColumn,
  column(
    "AddressType",
    "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.",
  ),
  column(
    "Ports",
    'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.',
  ),
  column(
    "Endpoints",
    "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.",
  ),
  ageColumn,
];

/** Upstream shows at most three addresses and counts the rest. */
const shownAddresses = 3;

/** net.JoinHostPort: IPv6 addresses go in brackets. */
function hostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function withMore(list: readonly string[], total: number, empty: string): string {
  const text = list.join(",");
  if (total > shownAddresses) return `${text} + ${total - shownAddresses} more...`;
  return text || empty;
}

/**
 * ENDPOINTS of an Endpoints object: "ip:port" for every address and port (bare IPs for
 * a subset without ports, as headless services have), "<none>" without subsets.
 */
function formatEndpoints(endpoints: Endpoints): string {
  const subsets = endpoints.subsets ?? [];
  if (subsets.length === 0) return "<none>";
  const list: string[] = [];
  let total = 0;
  for (const subset of subsets) {
    const addresses = subset.addresses ?? [];
    const ports = subset.ports ?? [];
    if (ports.length === 0) {
      total += addresses.length;
      for (const address of addresses) {
        if (list.length === shownAddresses) break;
        list.push(address.ip ?? "");
      }
      continue;
    }
    for (const port of ports) {
      total += addresses.length;
      for (const address of addresses) {
        if (list.length === shownAddresses) break;
        list.push(hostPort(address.ip ?? "", port.port ?? 0));
      }
    }
  }
  // Upstream prints an empty cell (not "<none>") when subsets hold no ready address.
  return withMore(list, total, "");
}

/** PORTS of a slice: the number, else the name, else "*" (all ports); "<unset>" for none. */
function formatSlicePorts(slice: EndpointSlice): string {
  const ports = slice.ports ?? [];
  const list = ports.slice(0, shownAddresses).map((port) => {
    if (port.port !== undefined && port.port !== null) return String(port.port);
    return port.name ?? "*";
  });
  return withMore(list, ports.length, "<unset>");
}

function formatSliceEndpoints(slice: EndpointSlice): string {
  const addresses = (slice.endpoints ?? []).flatMap((endpoint) => endpoint.addresses ?? []);
  return withMore(addresses.slice(0, shownAddresses), addresses.length, "<unset>");
}

export const endpointPrinters: PrinterSet = {
  endpoints: {
    columns: endpointsColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      return [nameOf(object), formatEndpoints(object as Endpoints), ageOf(object, now)];
    },
  },
  "endpointslices.discovery.k8s.io": {
    columns: endpointSliceColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const slice = object as EndpointSlice;
      return [
        nameOf(object),
        slice.addressType ?? "",
        formatSlicePorts(slice),
        formatSliceEndpoints(slice),
        ageOf(object, now),
      ];
    },
  },
};
