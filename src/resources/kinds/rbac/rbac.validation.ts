/**
 * Rules, subjects and role references shared by the four RBAC kinds, with upstream's paths
 * and messages (`pkg/apis/rbac/validation`). Names of roles and bindings only have to be
 * usable as one URL path segment, so the built-in `system:controller:…` roles are valid.
 */
import type { KubeObject } from "../../kind.ts";
import type { MetaV1LabelSelector } from "../../labels/label-selector.ts";
import { validateLabelSelector } from "../../labels/label-selector-validation.ts";
import { type FieldError, invalid, notSupported, required } from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { semanticEqual } from "../../validation/immutable.ts";
import {
  validatePathSegmentName,
  validateServiceAccountName,
} from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { convertSelector } from "../apps/workload-validation.ts";
import {
  ensureRecord,
  type JsonRecord,
  recordList,
  recordOf,
  stringList,
  stringOf,
} from "../core/json-value.ts";

export const RBAC_GROUP = "rbac.authorization.k8s.io";

export function validateRBACMetadata(object: KubeObject, namespaced: boolean): FieldError[] {
  return validateObjectMeta(object.metadata ?? {}, {
    namespaced,
    nameValidator: validatePathSegmentName,
    standardFinalizersOnly: true,
  });
}

/** The rules of a Role (namespaced) or ClusterRole. */
export function validatePolicyRules(object: KubeObject, namespaced: boolean): FieldError[] {
  const errors: FieldError[] = [];
  recordList(object.rules).forEach((rule, i) => {
    errors.push(...validatePolicyRule(rule, namespaced, fieldPath("rules").index(i)));
  });
  return errors;
}

function validatePolicyRule(rule: JsonRecord, namespaced: boolean, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  if (stringList(rule.verbs).length === 0) {
    errors.push(required(path.child("verbs"), "verbs must contain at least one value"));
  }
  const nonResourceURLs = stringList(rule.nonResourceURLs);
  if (nonResourceURLs.length > 0) {
    // Non-resource URLs (/healthz, /metrics) are not in any namespace.
    if (namespaced) {
      errors.push(
        invalid(
          path.child("nonResourceURLs"),
          nonResourceURLs,
          "namespaced rules cannot apply to non-resource URLs",
        ),
      );
    }
    const resourceParts = ["apiGroups", "resources", "resourceNames"];
    if (resourceParts.some((key) => stringList(rule[key]).length > 0)) {
      errors.push(
        invalid(
          path.child("nonResourceURLs"),
          nonResourceURLs,
          "rules cannot apply to both regular resources and non-resource URLs",
        ),
      );
    }
    return errors;
  }
  if (stringList(rule.apiGroups).length === 0) {
    errors.push(
      required(path.child("apiGroups"), "resource rules must supply at least one api group"),
    );
  }
  if (stringList(rule.resources).length === 0) {
    errors.push(
      required(path.child("resources"), "resource rules must supply at least one resource"),
    );
  }
  return errors;
}

/** A ClusterRole's aggregation rule: the selectors of the ClusterRoles whose rules it collects. */
export function validateAggregationRule(object: KubeObject): FieldError[] {
  const rule = recordOf(object.aggregationRule);
  if (rule === undefined) return [];
  const path = fieldPath("aggregationRule", "clusterRoleSelectors");
  const selectors = recordList(rule.clusterRoleSelectors);
  const errors: FieldError[] = [];
  if (selectors.length === 0) {
    errors.push(
      required(path, "at least one clusterRoleSelector required if aggregationRule is non-nil"),
    );
  }
  selectors.forEach((selector, i) => {
    const selectorPath = path.index(i);
    const typed = selector as MetaV1LabelSelector;
    errors.push(...validateLabelSelector(typed, selectorPath));
    if (convertSelector(typed) === undefined) {
      errors.push(invalid(selectorPath, selector, "invalid label selector."));
    }
  });
  return errors;
}

/** roleRef.apiGroup and each User/Group subject's apiGroup default to the RBAC group. */
export function defaultBinding(object: KubeObject): void {
  const roleRef = ensureRecord(object, "roleRef");
  if (!roleRef.apiGroup) roleRef.apiGroup = RBAC_GROUP;
  for (const subject of recordList(object.subjects)) {
    if (subject.apiGroup) continue;
    if (subject.kind === "ServiceAccount") subject.apiGroup = "";
    else if (subject.kind === "User" || subject.kind === "Group") subject.apiGroup = RBAC_GROUP;
  }
}

/** A RoleBinding may reference a Role or a ClusterRole; a ClusterRoleBinding only a ClusterRole. */
export function validateBinding(object: KubeObject, namespaced: boolean): FieldError[] {
  const errors = validateRBACMetadata(object, namespaced);
  const roleRef = recordOf(object.roleRef) ?? {};
  const apiGroup = stringOf(roleRef.apiGroup);
  if (apiGroup !== RBAC_GROUP) {
    errors.push(notSupported(fieldPath("roleRef", "apiGroup"), apiGroup, [RBAC_GROUP]));
  }
  const kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
  const kind = stringOf(roleRef.kind);
  if (!kinds.includes(kind)) errors.push(notSupported(fieldPath("roleRef", "kind"), kind, kinds));
  const name = stringOf(roleRef.name);
  const namePath = fieldPath("roleRef", "name");
  if (name === "") errors.push(required(namePath, ""));
  else {
    for (const message of validatePathSegmentName(name, false)) {
      errors.push(invalid(namePath, name, message));
    }
  }
  recordList(object.subjects).forEach((subject, i) => {
    errors.push(...validateSubject(subject, namespaced, fieldPath("subjects").index(i)));
  });
  return errors;
}

function validateSubject(subject: JsonRecord, namespaced: boolean, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const name = stringOf(subject.name);
  if (name === "") errors.push(required(path.child("name"), ""));
  const apiGroup = stringOf(subject.apiGroup);
  switch (subject.kind) {
    case "ServiceAccount":
      if (name !== "") {
        for (const message of validateServiceAccountName(name, false)) {
          errors.push(invalid(path.child("name"), name, message));
        }
      }
      if (apiGroup !== "") errors.push(notSupported(path.child("apiGroup"), apiGroup, [""]));
      // A RoleBinding's service accounts default to its own namespace; a cluster binding
      // has none to default to.
      if (!namespaced && stringOf(subject.namespace) === "") {
        errors.push(required(path.child("namespace"), ""));
      }
      break;
    case "User":
    case "Group":
      if (apiGroup !== RBAC_GROUP) {
        errors.push(notSupported(path.child("apiGroup"), apiGroup, [RBAC_GROUP]));
      }
      break;
    default:
      errors.push(
        notSupported(path.child("kind"), subject.kind ?? "", ["ServiceAccount", "User", "Group"]),
      );
  }
  return errors;
}

/**
 * A binding's role is fixed: changing it would silently grant the subjects different
 * permissions, so upstream makes clients delete and recreate the binding instead.
 */
export function validateRoleRefUnchanged(object: KubeObject, old: KubeObject): FieldError[] {
  if (semanticEqual(object.roleRef, old.roleRef)) return [];
  return [invalid(fieldPath("roleRef"), object.roleRef ?? null, "cannot change roleRef")];
}
