/**
 * Endpoints subsets (upstream validateEndpointSubsets) and the "non-special IP" rule they
 * share with Service external IPs: traffic may not be steered at unspecified, loopback
 * or link-local addresses, which would reach the node itself or its metadata service.
 */

import { isDNS1123Label } from "../../validation/dns-name.ts";
import { type FieldError, invalid, notSupported, required } from "../../validation/field-error.ts";
import type { FieldPath } from "../../validation/field-path.ts";
import { isIPv4Bytes, isValidIP, parseIPSloppy } from "../../validation/ip-address.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { isValidPortNum } from "../../validation/port.ts";
import { isQualifiedName } from "../../validation/qualified-name.ts";
import { PROTOCOLS } from "./container.validation.ts";
import { type JsonRecord, recordList, stringOf } from "./json-value.ts";

export function validateNonSpecialIP(address: string, path: FieldPath): FieldError[] {
  const ip = parseIPSloppy(address);
  if (!ip) return [invalid(path, address, "must be a valid IP address")];
  const bytes = ip.bytes;
  const errors: FieldError[] = [];
  const v4 = isIPv4Bytes(bytes);
  const at = (i: number) => bytes[i] as number;
  const allZero = (from: number) => bytes.slice(from).every((b) => b === 0);
  const unspecified = v4 ? allZero(12) : allZero(0);
  const loopback = v4 ? at(12) === 127 : bytes.slice(0, 15).every((b) => b === 0) && at(15) === 1;
  const linkLocalUnicast = v4
    ? at(12) === 169 && at(13) === 254
    : at(0) === 0xfe && (at(1) & 0xc0) === 0x80;
  const linkLocalMulticast = v4
    ? at(12) === 224 && at(13) === 0 && at(14) === 0
    : at(0) === 0xff && (at(1) & 0x0f) === 0x02;
  if (unspecified) errors.push(invalid(path, address, `may not be unspecified (${address})`));
  if (loopback) {
    errors.push(invalid(path, address, "may not be in the loopback range (127.0.0.0/8, ::1/128)"));
  }
  if (linkLocalUnicast) {
    errors.push(
      invalid(path, address, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"),
    );
  }
  if (linkLocalMulticast) {
    errors.push(
      invalid(
        path,
        address,
        "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
      ),
    );
  }
  return errors;
}

export function validateEndpointSubsets(subsets: unknown, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  recordList(subsets).forEach((subset, i) => {
    const subsetPath = path.index(i);
    const addresses = recordList(subset.addresses);
    const notReady = recordList(subset.notReadyAddresses);
    // A headless service's endpoints may have no ports, but they must have addresses.
    if (addresses.length === 0 && notReady.length === 0) {
      errors.push(required(subsetPath, "must specify `addresses` or `notReadyAddresses`"));
    }
    addresses.forEach((address, j) => {
      errors.push(...validateEndpointAddress(address, subsetPath.child("addresses").index(j)));
    });
    notReady.forEach((address, j) => {
      errors.push(
        ...validateEndpointAddress(address, subsetPath.child("notReadyAddresses").index(j)),
      );
    });
    const ports = recordList(subset.ports);
    ports.forEach((port, j) => {
      errors.push(
        ...validateEndpointPort(port, ports.length > 1, subsetPath.child("ports").index(j)),
      );
    });
  });
  return errors;
}

function validateEndpointAddress(address: JsonRecord, path: FieldPath): FieldError[] {
  const ip = stringOf(address.ip);
  const errors = isValidIP(path.child("ip"), ip);
  const hostname = stringOf(address.hostname);
  if (hostname !== "") {
    errors.push(
      ...isDNS1123Label(hostname).map((m) => invalid(path.child("hostname"), hostname, m)),
    );
  }
  if (typeof address.nodeName === "string") {
    const nodeName = address.nodeName;
    errors.push(
      ...nameIsDNSSubdomain(nodeName, false).map((m) =>
        invalid(path.child("nodeName"), nodeName, m),
      ),
    );
  }
  errors.push(...validateNonSpecialIP(ip, path.child("ip")));
  return errors;
}

function validateEndpointPort(
  port: JsonRecord,
  requireName: boolean,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const name = stringOf(port.name);
  if (requireName && name === "") errors.push(required(path.child("name"), ""));
  else if (name !== "") {
    errors.push(...isDNS1123Label(name).map((m) => invalid(path.child("name"), name, m)));
  }
  const number = typeof port.port === "number" ? port.port : 0;
  errors.push(...isValidPortNum(number).map((m) => invalid(path.child("port"), number, m)));
  const protocol = stringOf(port.protocol);
  if (protocol === "") errors.push(required(path.child("protocol"), ""));
  else if (!PROTOCOLS.includes(protocol)) {
    errors.push(notSupported(path.child("protocol"), protocol, PROTOCOLS));
  }
  if (typeof port.appProtocol === "string") {
    const appProtocol = port.appProtocol;
    errors.push(
      ...isQualifiedName(appProtocol).map((m) =>
        invalid(path.child("appProtocol"), appProtocol, m),
      ),
    );
  }
  return errors;
}
