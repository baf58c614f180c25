/**
 * discovery.k8s.io/v1 EndpointSlice: the endpoints of a Service, written by the
 * EndpointSlice controller and read by the service proxy. Defaults and validation as
 * upstream's (`pkg/apis/discovery`).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { isDNS1123Label, isDNS1123Subdomain } from "../../validation/dns-name.ts";
import {
  duplicate,
  type FieldError,
  internalError,
  invalid,
  notSupported,
  required,
  tooMany,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { validateImmutable } from "../../validation/immutable.ts";
import {
  isIPv4Bytes,
  isValidIPForLegacyField,
  parseIPSloppy,
} from "../../validation/ip-address.ts";
import { validateLabels } from "../../validation/labels-and-annotations.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { isQualifiedName, isValidLabelValue } from "../../validation/qualified-name.ts";
import {
  type JsonRecord,
  recordList,
  recordOf,
  stringList,
  stringMap,
  stringOf,
} from "../core/json-value.ts";

const addressTypes = ["FQDN", "IPv4", "IPv6"];
const protocols = ["SCTP", "TCP", "UDP"];
/** Upper bounds that keep one slice small enough to ship to every node. */
const maxEndpoints = 1000;
const maxAddresses = 100;
const maxPorts = 20000;
const maxTopologyLabels = 16;
const maxZoneHints = 8;
const zoneLabel = "topology.kubernetes.io/zone";

export const endpointSliceKind: KindDefinition = {
  group: "discovery.k8s.io",
  version: "v1",
  kind: "EndpointSlice",
  resource: "endpointslices",
  singular: "endpointslice",
  namespaced: true,
  schemaRef: "discovery/v1.EndpointSlice",
  hasStatus: false,
  // A slice has no spec: its endpoints, ports and address type are what it asks for.
  tracksGeneration: true,

  defaults(object) {
    for (const port of recordList(object.ports)) {
      port.name ??= "";
      port.protocol ??= "TCP";
    }
  },
  validate: (object) => validateEndpointSlice(object),
  validateUpdate: (object, old) =>
    validateImmutable(old.addressType, object.addressType, fieldPath("addressType")),
};

export function validateEndpointSlice(object: KubeObject): FieldError[] {
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const addressType = stringOf(object.addressType);
  if (addressType === "") errors.push(required(fieldPath("addressType"), ""));
  else if (!addressTypes.includes(addressType)) {
    errors.push(notSupported(fieldPath("addressType"), addressType, addressTypes));
  }
  errors.push(...validateEndpoints(object.endpoints, addressType, fieldPath("endpoints")));
  errors.push(...validatePorts(object.ports, fieldPath("ports")));
  return errors;
}

function validateEndpoints(value: unknown, addressType: string, path: FieldPath): FieldError[] {
  const endpoints = recordList(value);
  if (endpoints.length > maxEndpoints) return [tooMany(path, endpoints.length, maxEndpoints)];
  const errors: FieldError[] = [];
  endpoints.forEach((endpoint, i) => {
    const endpointPath = path.index(i);
    const addressesPath = endpointPath.child("addresses");
    const addresses = stringList(endpoint.addresses);
    if (addresses.length === 0) {
      errors.push(required(addressesPath, "must contain at least 1 address"));
    } else if (addresses.length > maxAddresses) {
      errors.push(tooMany(addressesPath, addresses.length, maxAddresses));
    }
    addresses.forEach((address, j) => {
      errors.push(...validateAddress(address, addressType, addressesPath.index(j)));
    });
    if (endpoint.nodeName != null) {
      const nodeName = stringOf(endpoint.nodeName);
      for (const message of isDNS1123Subdomain(nodeName)) {
        errors.push(invalid(endpointPath.child("nodeName"), nodeName, message));
      }
    }
    const topologyPath = endpointPath.child("deprecatedTopology");
    const topology = stringMap(endpoint.deprecatedTopology);
    const topologyCount = Object.keys(topology).length;
    if (topologyCount > maxTopologyLabels) {
      errors.push(tooMany(topologyPath, topologyCount, maxTopologyLabels));
    }
    errors.push(...validateLabels(topology, topologyPath));
    if (zoneLabel in topology) {
      // v1 carries the zone in `zone`; upstream's conversion moves it out of the map.
      errors.push(
        internalError(topologyPath.key(zoneLabel), "reserved key was not removed in conversion"),
      );
    }
    if (endpoint.hostname != null) {
      const hostname = stringOf(endpoint.hostname);
      for (const message of isDNS1123Label(hostname)) {
        errors.push(invalid(endpointPath.child("hostname"), hostname, message));
      }
    }
    const hints = recordOf(endpoint.hints);
    if (hints !== undefined) errors.push(...validateHints(hints, endpointPath.child("hints")));
  });
  return errors;
}

/** Known address types are checked; unknown ones were already reported on addressType. */
function validateAddress(address: string, addressType: string, path: FieldPath): FieldError[] {
  if (addressType === "FQDN") return validateFullyQualifiedDomainName(address, path);
  if (addressType !== "IPv4" && addressType !== "IPv6") return [];
  const ipErrors = isValidIPForLegacyField(path, address);
  if (ipErrors.length > 0) return ipErrors;
  const ip = parseIPSloppy(address);
  const isIPv4 = ip !== undefined && isIPv4Bytes(ip.bytes);
  if (addressType === "IPv4" && !isIPv4) return [invalid(path, address, "must be an IPv4 address")];
  if (addressType === "IPv6" && isIPv4) return [invalid(path, address, "must be an IPv6 address")];
  return validateEndpointIP(address, path);
}

/**
 * Endpoints must be reachable from other nodes: no unspecified, loopback or link-local
 * addresses (upstream's ValidateEndpointIP).
 */
function validateEndpointIP(address: string, path: FieldPath): FieldError[] {
  const ip = parseIPSloppy(address);
  if (ip === undefined) return [];
  if (isIPv4Bytes(ip.bytes)) {
    const b = ip.bytes.slice(12);
    if (b.every((byte) => byte === 0)) {
      return [invalid(path, address, `may not be unspecified (${address})`)];
    }
    if (b[0] === 127) {
      return [invalid(path, address, "may not be in the loopback range (127.0.0.0/8, ::1/128)")];
    }
    if (b[0] === 169 && b[1] === 254) {
      return [
        invalid(path, address, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"),
      ];
    }
    if (b[0] === 224 && b[1] === 0 && b[2] === 0) {
      return [
        invalid(
          path,
          address,
          "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        ),
      ];
    }
    return [];
  }
  const b = ip.bytes;
  if (b.every((byte) => byte === 0)) {
    return [invalid(path, address, `may not be unspecified (${address})`)];
  }
  if (b.slice(0, 15).every((byte) => byte === 0) && b[15] === 1) {
    return [invalid(path, address, "may not be in the loopback range (127.0.0.0/8, ::1/128)")];
  }
  if (b[0] === 0xfe && ((b[1] as number) & 0xc0) === 0x80) {
    return [
      invalid(path, address, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"),
    ];
  }
  if (b[0] === 0xff && ((b[1] as number) & 0x0f) === 0x02) {
    return [
      invalid(
        path,
        address,
        "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
      ),
    ];
  }
  return [];
}

/** A DNS name with at least two labels (a trailing dot is allowed), as upstream checks FQDNs. */
function validateFullyQualifiedDomainName(value: string, path: FieldPath): FieldError[] {
  if (value.length === 0) return [required(path, "")];
  const name = value.endsWith(".") ? value.slice(0, -1) : value;
  const subdomain = isDNS1123Subdomain(name);
  if (subdomain.length > 0) return [invalid(path, name, subdomain.join(","))];
  const labels = name.split(".");
  if (labels.length < 2) {
    return [invalid(path, name, "should be a domain with at least two segments separated by dots")];
  }
  for (const label of labels) {
    const problems = isDNS1123Label(label);
    if (problems.length > 0) return [invalid(path, label, problems.join(","))];
  }
  return [];
}

function validatePorts(value: unknown, path: FieldPath): FieldError[] {
  const ports = recordList(value);
  if (ports.length > maxPorts) return [tooMany(path, ports.length, maxPorts)];
  const errors: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const portPath = path.index(i);
    const name = stringOf(port.name);
    if (name.length > 0) {
      for (const message of isDNS1123Label(name)) {
        errors.push(invalid(portPath.child("name"), name, message));
      }
    }
    if (names.has(name)) errors.push(duplicate(portPath.child("name"), name));
    else names.add(name);
    if (port.protocol == null) errors.push(required(portPath.child("protocol"), ""));
    else if (!protocols.includes(stringOf(port.protocol))) {
      errors.push(notSupported(portPath.child("protocol"), port.protocol, protocols));
    }
    if (port.appProtocol != null) {
      const appProtocol = stringOf(port.appProtocol);
      for (const message of isQualifiedName(appProtocol)) {
        errors.push(invalid(portPath.child("appProtocol"), appProtocol, message));
      }
    }
  });
  return errors;
}

function validateHints(hints: JsonRecord, path: FieldPath): FieldError[] {
  const zonesPath = path.child("forZones");
  const zones = recordList(hints.forZones);
  if (zones.length > maxZoneHints) return [tooMany(zonesPath, zones.length, maxZoneHints)];
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  zones.forEach((zone, i) => {
    const namePath = zonesPath.index(i).child("name");
    const name = stringOf(zone.name);
    if (seen.has(name)) errors.push(duplicate(namePath, name));
    else seen.add(name);
    for (const message of isValidLabelValue(name)) errors.push(invalid(namePath, name, message));
  });
  return errors;
}
