/**
 * Node (core/v1): registered by node agents with their status; users edit taints and
 * `unschedulable` (cordon). Pod CIDRs and the provider ID are set once and then fixed
 * (upstream ValidateNode / ValidateNodeUpdate).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { duplicate, type FieldError, forbidden, invalid } from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { semanticEqual } from "../../validation/immutable.ts";
import { isValidCIDR } from "../../validation/ip-address.ts";
import { validateLabelName } from "../../validation/labels-and-annotations.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";
import { isValidLabelValue } from "../../validation/qualified-name.ts";
import { isRecord, recordList, recordOf, stringList, stringOf } from "./json-value.ts";
import {
  canonicalizeResourceList,
  parseResourceList,
  validateResourceQuantityValue,
} from "./resource-requirements.ts";
import { validateTaintEffect } from "./scheduling.validation.ts";
import { keepStatus } from "./status-strategy.ts";

const immutableAfterSet = (field: string) =>
  `node updates may not change ${field} except from "" to valid`;

function validateTaints(taints: unknown, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  recordList(taints).forEach((taint, i) => {
    const itemPath = path.index(i);
    const key = stringOf(taint.key);
    const value = stringOf(taint.value);
    const effect = stringOf(taint.effect);
    errors.push(...validateLabelName(key, itemPath.child("key")));
    const valueErrors = isValidLabelValue(value);
    if (valueErrors.length > 0) {
      errors.push(invalid(itemPath.child("value"), value, valueErrors.join(";")));
    }
    errors.push(...validateTaintEffect(effect, false, itemPath.child("effect")));
    const identity = `${effect}\u0000${key}`;
    if (seen.has(identity)) {
      errors.push({
        ...duplicate(itemPath, taint),
        detail: "taints must be unique by key and effect pair",
      });
      return;
    }
    seen.add(identity);
  });
  return errors;
}

/** Capacity and allocatable: whole, non-negative quantities. */
function validateNodeResources(node: KubeObject): FieldError[] {
  const status = recordOf(node.status) ?? {};
  const errors: FieldError[] = [];
  for (const field of ["capacity", "allocatable"]) {
    // Upstream names each resource as a child (`status.capacity.cpu`), not a key.
    const parsed = parseResourceList(status[field], fieldPath("status", field));
    errors.push(...parsed.errors);
    for (const [name, quantity] of parsed.quantities) {
      errors.push(
        ...validateResourceQuantityValue(name, quantity, fieldPath("status", field, name)),
      );
    }
  }
  return errors;
}

function validatePodCIDRs(cidrs: string[]): FieldError[] {
  const path = fieldPath("spec", "podCIDRs");
  const errors = cidrs.flatMap((cidr, i) => isValidCIDR(path.index(i), cidr));
  if (cidrs.length > 1) {
    const families = cidrs.map((cidr) => (cidr.includes(":") ? 6 : 4));
    if (cidrs.length > 2 || families[0] === families[1]) {
      errors.push(invalid(path, cidrs, "may specify no more than one CIDR for each IP family"));
    }
    const seen = new Set<string>();
    cidrs.forEach((cidr, i) => {
      if (seen.has(cidr)) errors.push(duplicate(path.index(i), cidr));
      seen.add(cidr);
    });
  }
  return errors;
}

function validateNode(node: KubeObject): FieldError[] {
  const spec = recordOf(node.spec) ?? {};
  const errors = validateObjectMeta(node.metadata ?? {}, {
    namespaced: false,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  // Upstream validates spec.taints at `metadata.taints`; kept, because clients match it.
  errors.push(...validateTaints(spec.taints, fieldPath("metadata", "taints")));
  errors.push(...validateNodeResources(node));
  errors.push(...validatePodCIDRs(stringList(spec.podCIDRs)));
  return errors;
}

function validateNodeUpdate(node: KubeObject, old: KubeObject): FieldError[] {
  const spec = recordOf(node.spec) ?? {};
  const oldSpec = recordOf(old.spec) ?? {};
  const errors = validateObjectMetaUpdate(node.metadata ?? {}, old.metadata ?? {}, {
    standardFinalizersOnly: true,
  });
  const addresses = new Set<string>();
  recordList(recordOf(node.status)?.addresses).forEach((address, i) => {
    const key = `${stringOf(address.type)}\u0000${stringOf(address.address)}`;
    if (addresses.has(key)) {
      errors.push(duplicate(fieldPath("status", "addresses").index(i), address));
    }
    addresses.add(key);
  });
  const oldCIDRs = stringList(oldSpec.podCIDRs);
  if (oldCIDRs.length > 0 && !semanticEqual(oldCIDRs, stringList(spec.podCIDRs))) {
    errors.push(forbidden(fieldPath("spec", "podCIDRs"), immutableAfterSet("podCIDR")));
  }
  const oldProvider = stringOf(oldSpec.providerID);
  if (oldProvider !== "" && oldProvider !== stringOf(spec.providerID)) {
    errors.push(forbidden(fieldPath("spec", "providerID"), immutableAfterSet("providerID")));
  }
  if (stringOf(spec.externalID) !== stringOf(oldSpec.externalID)) {
    errors.push(forbidden(fieldPath("spec", "externalID"), "may not be updated"));
  }
  return errors;
}

export const nodeKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "Node",
  resource: "nodes",
  singular: "node",
  namespaced: false,
  schemaRef: "core/v1.Node",
  hasStatus: true,
  tracksGeneration: false,
  shortNames: ["no"],
  subresources: ["status", "proxy"],

  defaults(node) {
    const status = recordOf(node.status);
    if (!status) return;
    canonicalizeResourceList(status.capacity);
    canonicalizeResourceList(status.allocatable);
    if (!isRecord(status.allocatable) && isRecord(status.capacity)) {
      status.allocatable = structuredClone(status.capacity);
    }
  },

  // A node agent registers its node together with its status, so create keeps it.
  prepareForUpdate(node, old) {
    keepStatus(node, old);
  },

  validate: validateNode,
  validateUpdate: validateNodeUpdate,

  selectableFields(node) {
    return { "spec.unschedulable": String(recordOf(node.spec)?.unschedulable === true) };
  },
};
