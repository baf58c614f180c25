/**
 * The scheduling parts of a PodSpec (upstream ValidateTolerations, validateAffinity,
 * validateTopologySpreadConstraints): tolerations, node and pod (anti-)affinity, spread
 * constraints. Taint effects are shared with Node validation.
 */

import type { MetaV1LabelSelector } from "../../labels/label-selector.ts";
import { validateLabelSelector } from "../../labels/label-selector-validation.ts";
import {
  duplicate,
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import type { FieldPath } from "../../validation/field-path.ts";
import { validateLabelName } from "../../validation/labels-and-annotations.ts";
import { nameIsDNSSubdomain, validateNamespaceName } from "../../validation/name-validators.ts";
import { isValidLabelValue } from "../../validation/qualified-name.ts";
import {
  isRecord,
  type JsonRecord,
  recordList,
  recordOf,
  stringList,
  stringOf,
} from "./json-value.ts";

export const TAINT_EFFECTS: readonly string[] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

export function validateTaintEffect(
  effect: string,
  allowEmpty: boolean,
  path: FieldPath,
): FieldError[] {
  if (!allowEmpty && effect === "") return [required(path, "")];
  return TAINT_EFFECTS.includes(effect) ? [] : [notSupported(path, effect, TAINT_EFFECTS)];
}

export function validateTolerations(tolerations: unknown, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  recordList(tolerations).forEach((toleration, i) => {
    const itemPath = path.index(i);
    const key = stringOf(toleration.key);
    const operator = stringOf(toleration.operator);
    const value = stringOf(toleration.value);
    const effect = stringOf(toleration.effect);
    if (key !== "") errors.push(...validateLabelName(key, itemPath.child("key")));
    if (key === "" && operator !== "Exists") {
      errors.push(
        invalid(
          itemPath.child("operator"),
          operator,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    const seconds = toleration.tolerationSeconds;
    if (seconds !== undefined && seconds !== null && effect !== "NoExecute") {
      errors.push(
        invalid(
          itemPath.child("effect"),
          effect,
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    switch (operator) {
      case "":
      case "Equal": {
        const messages = isValidLabelValue(value);
        if (messages.length > 0) {
          errors.push(invalid(itemPath.child("operator"), value, messages.join(";")));
        }
        break;
      }
      case "Exists":
        if (value !== "") {
          errors.push(
            invalid(
              itemPath.child("operator"),
              value,
              "value must be empty when `operator` is 'Exists'",
            ),
          );
        }
        break;
      default:
        errors.push(notSupported(itemPath.child("operator"), operator, ["Equal", "Exists"]));
    }
    if (effect !== "") errors.push(...validateTaintEffect(effect, true, itemPath.child("effect")));
  });
  return errors;
}

function validateNodeSelectorRequirement(
  requirement: JsonRecord,
  allowInvalidValues: boolean,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const values = stringList(requirement.values);
  const operator = stringOf(requirement.operator);
  switch (operator) {
    case "In":
    case "NotIn":
      if (values.length === 0) {
        errors.push(
          required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"),
        );
      }
      break;
    case "Exists":
    case "DoesNotExist":
      if (values.length > 0) {
        errors.push(
          forbidden(
            path.child("values"),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          ),
        );
      }
      break;
    case "Gt":
    case "Lt":
      if (values.length !== 1) {
        errors.push(
          required(
            path.child("values"),
            "must be specified single value when `operator` is 'Lt' or 'Gt'",
          ),
        );
      }
      break;
    default:
      errors.push(invalid(path.child("operator"), operator, "not a valid selector operator"));
  }
  errors.push(...validateLabelName(stringOf(requirement.key), path.child("key")));
  if (!allowInvalidValues) {
    values.forEach((value, i) => {
      for (const m of isValidLabelValue(value))
        errors.push(invalid(path.child("values").index(i), value, m));
    });
  }
  return errors;
}

/** `matchFields` may only select on the node's name, one value at a time. */
function validateNodeFieldSelectorRequirement(
  requirement: JsonRecord,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const operator = stringOf(requirement.operator);
  const values = stringList(requirement.values);
  if (operator === "In" || operator === "NotIn") {
    if (values.length !== 1) {
      errors.push(
        required(
          path.child("values"),
          "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
        ),
      );
    }
  } else {
    errors.push(invalid(path.child("operator"), operator, "not a valid selector operator"));
  }
  const key = stringOf(requirement.key);
  if (key !== "metadata.name") {
    errors.push(invalid(path.child("key"), key, "not a valid field selector key"));
  } else {
    values.forEach((value, i) => {
      for (const m of nameIsDNSSubdomain(value, false))
        errors.push(invalid(path.child("values").index(i), value, m));
    });
  }
  return errors;
}

function validateNodeSelectorTerm(
  term: JsonRecord,
  allowInvalidValues: boolean,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  recordList(term.matchExpressions).forEach((requirement, j) => {
    errors.push(
      ...validateNodeSelectorRequirement(
        requirement,
        allowInvalidValues,
        path.child("matchExpressions").index(j),
      ),
    );
  });
  recordList(term.matchFields).forEach((requirement, j) => {
    errors.push(
      ...validateNodeFieldSelectorRequirement(requirement, path.child("matchFields").index(j)),
    );
  });
  return errors;
}

/** A required node selector (node affinity, PersistentVolume node affinity). */
export function validateNodeSelector(selector: JsonRecord, path: FieldPath): FieldError[] {
  const termsPath = path.child("nodeSelectorTerms");
  const terms = recordList(selector.nodeSelectorTerms);
  if (terms.length === 0) return [required(termsPath, "must have at least one node selector term")];
  return terms.flatMap((term, i) => validateNodeSelectorTerm(term, false, termsPath.index(i)));
}

function validateWeight(weight: unknown, path: FieldPath): FieldError[] {
  const value = typeof weight === "number" ? weight : 0;
  return value <= 0 || value > 100 ? [invalid(path, value, "must be in the range 1-100")] : [];
}

function validatePodAffinityTerm(term: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of ["labelSelector", "namespaceSelector"]) {
    if (isRecord(term[field])) {
      errors.push(...validateLabelSelector(term[field] as MetaV1LabelSelector, path.child(field)));
    }
  }
  for (const name of stringList(term.namespaces)) {
    // Upstream names the list element `namespace`.
    for (const m of validateNamespaceName(name, false))
      errors.push(invalid(path.child("namespace"), name, m));
  }
  for (const field of ["matchLabelKeys", "mismatchLabelKeys"]) {
    const keys = stringList(term[field]);
    if (keys.length === 0) continue;
    if (!isRecord(term.labelSelector)) {
      errors.push(
        forbidden(path.child(field), "must not be specified when labelSelector is not set"),
      );
      continue;
    }
    keys.forEach((key, i) => {
      errors.push(...validateLabelName(key, path.child(field).index(i)));
    });
  }
  const topologyKey = stringOf(term.topologyKey);
  if (topologyKey === "") errors.push(required(path.child("topologyKey"), "can not be empty"));
  errors.push(...validateLabelName(topologyKey, path.child("topologyKey")));
  return errors;
}

function validatePodAffinityTerms(affinity: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const requiredPath = path.child("requiredDuringSchedulingIgnoredDuringExecution");
  recordList(affinity.requiredDuringSchedulingIgnoredDuringExecution).forEach((term, i) => {
    errors.push(...validatePodAffinityTerm(term, requiredPath.index(i)));
  });
  const preferredPath = path.child("preferredDuringSchedulingIgnoredDuringExecution");
  recordList(affinity.preferredDuringSchedulingIgnoredDuringExecution).forEach((weighted, i) => {
    errors.push(...validateWeight(weighted.weight, preferredPath.index(i).child("weight")));
    errors.push(
      ...validatePodAffinityTerm(
        recordOf(weighted.podAffinityTerm) ?? {},
        preferredPath.index(i).child("podAffinityTerm"),
      ),
    );
  });
  return errors;
}

export function validateAffinity(affinity: unknown, path: FieldPath): FieldError[] {
  if (!isRecord(affinity)) return [];
  const errors: FieldError[] = [];
  const nodeAffinity = recordOf(affinity.nodeAffinity);
  if (nodeAffinity) {
    const nodePath = path.child("nodeAffinity");
    const requiredSelector = recordOf(nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution);
    if (requiredSelector) {
      errors.push(
        ...validateNodeSelector(
          requiredSelector,
          nodePath.child("requiredDuringSchedulingIgnoredDuringExecution"),
        ),
      );
    }
    const preferredPath = nodePath.child("preferredDuringSchedulingIgnoredDuringExecution");
    recordList(nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution).forEach((term, i) => {
      errors.push(...validateWeight(term.weight, preferredPath.index(i).child("weight")));
      // Preferred terms may use any label value: they can still match on a one-node cluster.
      errors.push(
        ...validateNodeSelectorTerm(
          recordOf(term.preference) ?? {},
          true,
          preferredPath.index(i).child("preference"),
        ),
      );
    });
  }
  for (const field of ["podAffinity", "podAntiAffinity"]) {
    const value = recordOf(affinity[field]);
    if (value) errors.push(...validatePodAffinityTerms(value, path.child(field)));
  }
  return errors;
}

export function validateTopologySpreadConstraints(
  constraints: unknown,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const list = recordList(constraints);
  list.forEach((constraint, i) => {
    const itemPath = path.index(i);
    const maxSkew = typeof constraint.maxSkew === "number" ? constraint.maxSkew : 0;
    const topologyKey = stringOf(constraint.topologyKey);
    const action = stringOf(constraint.whenUnsatisfiable);
    if (maxSkew <= 0) {
      errors.push(invalid(itemPath.child("maxSkew"), maxSkew, "must be greater than zero"));
    }
    if (topologyKey === "") {
      errors.push(required(itemPath.child("topologyKey"), "can not be empty"));
    }
    if (action !== "DoNotSchedule" && action !== "ScheduleAnyway") {
      errors.push(
        notSupported(itemPath.child("whenUnsatisfiable"), action, [
          "DoNotSchedule",
          "ScheduleAnyway",
        ]),
      );
    }
    const repeated = list
      .slice(i + 1)
      .some(
        (other) =>
          stringOf(other.topologyKey) === topologyKey &&
          stringOf(other.whenUnsatisfiable) === action,
      );
    if (repeated) {
      errors.push(
        duplicate(
          itemPath.child("{topologyKey, whenUnsatisfiable}"),
          `{${topologyKey}, ${action}}`,
        ),
      );
    }
    const minDomains = constraint.minDomains;
    if (typeof minDomains === "number") {
      if (minDomains <= 0) {
        errors.push(invalid(itemPath.child("minDomains"), minDomains, "must be greater than zero"));
      }
      if (action !== "DoNotSchedule") {
        errors.push(
          invalid(
            itemPath.child("minDomains"),
            minDomains,
            `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${action}`,
          ),
        );
      }
    }
    for (const field of ["nodeAffinityPolicy", "nodeTaintsPolicy"]) {
      const policy = constraint[field];
      if (typeof policy === "string" && policy !== "Honor" && policy !== "Ignore") {
        errors.push(notSupported(itemPath.child(field), policy, ["Honor", "Ignore"]));
      }
    }
    const selector = recordOf(constraint.labelSelector);
    const matchLabelKeys = stringList(constraint.matchLabelKeys);
    if (matchLabelKeys.length > 0 && !selector) {
      errors.push(
        forbidden(
          itemPath.child("matchLabelKeys"),
          "must not be specified when labelSelector is not set",
        ),
      );
    }
    matchLabelKeys.forEach((key, j) => {
      errors.push(...validateLabelName(key, itemPath.child("matchLabelKeys").index(j)));
    });
    if (selector) {
      errors.push(
        ...validateLabelSelector(selector as MetaV1LabelSelector, itemPath.child("labelSelector")),
      );
    }
  });
  return errors;
}
