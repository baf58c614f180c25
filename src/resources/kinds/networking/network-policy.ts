/**
 * networking.k8s.io/v1 NetworkPolicy: which traffic may reach or leave selected pods.
 * Defaults and validation as upstream's (`pkg/apis/networking`).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import type { MetaV1LabelSelector } from "../../labels/label-selector.ts";
import { validateLabelSelector } from "../../labels/label-selector-validation.ts";
import {
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { isValidCIDRForLegacyField, parseCIDRSloppy } from "../../validation/ip-address.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { isValidPortName, isValidPortNum } from "../../validation/port.ts";
import {
  ensureRecord,
  type JsonRecord,
  recordList,
  recordOf,
  stringList,
  stringOf,
} from "../core/json-value.ts";

const protocols = ["TCP", "UDP", "SCTP"];
const policyTypes = ["Ingress", "Egress"];

export const networkPolicyKind: KindDefinition = {
  group: "networking.k8s.io",
  version: "v1",
  kind: "NetworkPolicy",
  resource: "networkpolicies",
  singular: "networkpolicy",
  namespaced: true,
  shortNames: ["netpol"],
  schemaRef: "networking/v1.NetworkPolicy",
  hasStatus: false,
  tracksGeneration: true,

  defaults: defaultNetworkPolicy,
  validate: (object) => validateNetworkPolicy(object),
};

/**
 * Every policy isolates ingress; it isolates egress too when it has egress rules. Ports
 * without a protocol mean TCP.
 */
export function defaultNetworkPolicy(object: KubeObject): void {
  const spec = ensureRecord(object, "spec");
  for (const key of ["ingress", "egress"]) {
    for (const rule of recordList(spec[key])) {
      for (const port of recordList(rule.ports)) port.protocol ??= "TCP";
    }
  }
  if (stringList(spec.policyTypes).length === 0) {
    spec.policyTypes = recordList(spec.egress).length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
  }
}

export function validateNetworkPolicy(object: KubeObject): FieldError[] {
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const spec = recordOf(object.spec) ?? {};
  const path = fieldPath("spec");
  errors.push(
    ...validateLabelSelector(
      (recordOf(spec.podSelector) ?? {}) as MetaV1LabelSelector,
      path.child("podSelector"),
    ),
  );
  for (const [key, peersKey] of [
    ["ingress", "from"],
    ["egress", "to"],
  ] as const) {
    recordList(spec[key]).forEach((rule, i) => {
      const rulePath = path.child(key).index(i);
      recordList(rule.ports).forEach((port, j) => {
        errors.push(...validatePort(port, rulePath.child("ports").index(j)));
      });
      recordList(rule[peersKey]).forEach((peer, j) => {
        errors.push(...validatePeer(peer, rulePath.child(peersKey).index(j)));
      });
    });
  }
  const types = Array.isArray(spec.policyTypes) ? (spec.policyTypes as unknown[]) : [];
  if (types.length > policyTypes.length) {
    errors.push(
      invalid(path.child("policyTypes"), types, "may not specify more than two policyTypes"),
    );
    return errors;
  }
  types.forEach((type, i) => {
    if (!policyTypes.includes(stringOf(type))) {
      errors.push(notSupported(path.child("policyTypes").index(i), type, policyTypes));
    }
  });
  return errors;
}

function validatePort(port: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  if (port.protocol != null && !protocols.includes(stringOf(port.protocol))) {
    errors.push(notSupported(path.child("protocol"), port.protocol, protocols));
  }
  const value = port.port;
  const endPort = port.endPort;
  if (typeof value === "number") {
    for (const message of isValidPortNum(value))
      errors.push(invalid(path.child("port"), value, message));
    if (typeof endPort === "number") {
      // Upstream shows `port`, not endPort, as the bad value here.
      if (endPort < value) {
        errors.push(
          invalid(path.child("endPort"), value, "must be greater than or equal to `port`"),
        );
      }
      for (const message of isValidPortNum(endPort)) {
        errors.push(invalid(path.child("endPort"), endPort, message));
      }
    }
  } else if (value != null) {
    if (endPort != null) {
      errors.push(
        invalid(path.child("endPort"), endPort, "may not be specified when `port` is non-numeric"),
      );
    }
    const name = stringOf(value);
    for (const message of isValidPortName(name))
      errors.push(invalid(path.child("port"), name, message));
  } else if (endPort != null) {
    errors.push(
      invalid(path.child("endPort"), endPort, "may not be specified when `port` is not specified"),
    );
  }
  return errors;
}

function validatePeer(peer: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  let peers = 0;
  for (const key of ["podSelector", "namespaceSelector"] as const) {
    const selector = recordOf(peer[key]);
    if (selector === undefined) continue;
    peers++;
    errors.push(...validateLabelSelector(selector as MetaV1LabelSelector, path.child(key)));
  }
  const ipBlock = recordOf(peer.ipBlock);
  if (ipBlock !== undefined) {
    peers++;
    errors.push(...validateIPBlock(ipBlock, path.child("ipBlock")));
  }
  if (peers === 0) errors.push(required(path, "must specify a peer"));
  else if (peers > 1 && ipBlock !== undefined) {
    errors.push(forbidden(path, "may not specify both ipBlock and another peer"));
  }
  return errors;
}

function validateIPBlock(block: JsonRecord, path: FieldPath): FieldError[] {
  const cidr = stringOf(block.cidr);
  if (cidr === "") return [required(path.child("cidr"), "")];
  const errors = isValidCIDRForLegacyField(path.child("cidr"), cidr);
  const parsed = parseCIDRSloppy(cidr);
  if (parsed === undefined) return errors;
  stringList(block.except).forEach((except, i) => {
    const exceptPath = path.child("except").index(i);
    errors.push(...isValidCIDRForLegacyField(exceptPath, except));
    const inner = parseCIDRSloppy(except);
    if (inner === undefined) return;
    if (!cidrContains(parsed, inner) || parsed.prefixLength >= inner.prefixLength) {
      errors.push(invalid(exceptPath, except, "must be a strict subset of `cidr`"));
    }
  });
  return errors;
}

type ParsedCIDR = NonNullable<ReturnType<typeof parseCIDRSloppy>>;

/** Whether `outer`'s network contains `inner`'s address (Go's IPNet.Contains). */
function cidrContains(outer: ParsedCIDR, inner: ParsedCIDR): boolean {
  if (outer.bits !== inner.bits) return false;
  const offset = outer.bits === 32 ? 12 : 0;
  let remaining = outer.prefixLength;
  for (let i = 0; remaining > 0; i++, remaining -= 8) {
    const mask = remaining >= 8 ? 0xff : (0xff << (8 - remaining)) & 0xff;
    const a = outer.ip.bytes[offset + i] as number;
    const b = inner.ip.bytes[offset + i] as number;
    if ((a & mask) !== (b & mask)) return false;
  }
  return true;
}
