/**
 * policy/v1 PodDisruptionBudget: how many of a set of pods voluntary disruptions (drains,
 * evictions) may take down at once. Validation as upstream's (`pkg/apis/policy`); there
 * are no defaults in v1 (an empty selector selects every pod in the namespace).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { validateLabelSelector } from "../../labels/label-selector-validation.ts";
import { type FieldError, invalid, notSupported } from "../../validation/field-error.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import {
  isNotMoreThan100Percent,
  selectorOf,
  validateNonnegative,
  validatePositiveIntOrPercent,
} from "../apps/workload-validation.ts";
import { recordOf, stringOf } from "../core/json-value.ts";

const unhealthyPodEvictionPolicies = ["AlwaysAllow", "IfHealthyBudget"];

export const podDisruptionBudgetKind: KindDefinition = {
  group: "policy",
  version: "v1",
  kind: "PodDisruptionBudget",
  resource: "poddisruptionbudgets",
  singular: "poddisruptionbudget",
  namespaced: true,
  shortNames: ["pdb"],
  schemaRef: "policy/v1.PodDisruptionBudget",
  hasStatus: true,
  subresources: ["status"],
  tracksGeneration: true,

  prepareForCreate(object) {
    object.status = {};
  },
  prepareForUpdate(object, old) {
    object.status = structuredClone(old.status ?? {});
  },
  validate: (object) => validatePodDisruptionBudget(object),
  validateUpdate: (object) => validatePodDisruptionBudgetStatus(object),
};

export function validatePodDisruptionBudget(object: KubeObject): FieldError[] {
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const spec = recordOf(object.spec) ?? {};
  const path = fieldPath("spec");
  const { minAvailable, maxUnavailable } = spec;
  // Both at once would be two different answers to "how many may go".
  if (minAvailable != null && maxUnavailable != null) {
    errors.push(invalid(path, spec, "minAvailable and maxUnavailable cannot be both set"));
  }
  for (const [field, value] of [
    ["minAvailable", minAvailable],
    ["maxUnavailable", maxUnavailable],
  ] as const) {
    if (value == null) continue;
    errors.push(...validatePositiveIntOrPercent(value, path.child(field)));
    errors.push(...isNotMoreThan100Percent(value, path.child(field)));
  }
  errors.push(...validateLabelSelector(selectorOf(spec.selector), path.child("selector")));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy != null && !unhealthyPodEvictionPolicies.includes(stringOf(policy))) {
    errors.push(
      notSupported(path.child("unhealthyPodEvictionPolicy"), policy, unhealthyPodEvictionPolicies),
    );
  }
  return errors;
}

/** The disruption controller's counters, checked when it writes them through `/status`. */
export function validatePodDisruptionBudgetStatus(object: KubeObject): FieldError[] {
  const status = recordOf(object.status) ?? {};
  const errors: FieldError[] = [];
  for (const field of ["disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"]) {
    errors.push(...validateNonnegative(status[field], fieldPath("status", field)));
  }
  return errors;
}
