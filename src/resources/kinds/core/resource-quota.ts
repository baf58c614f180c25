/**
 * ResourceQuota (core/v1): caps on a namespace's resources, optionally limited to pods of
 * some scopes. Status (`hard`, `used`) is the quota controller's, written via `/status`.
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { type FieldError, invalid, required } from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";
import { type JsonRecord, recordList, recordOf, stringList, stringOf } from "./json-value.ts";
import {
  isQuotaScopeValidForResource,
  isStandardQuotaResourceName,
  STANDARD_QUOTA_SCOPES,
} from "./resource-names.ts";
import {
  canonicalizeResourceList,
  parseResourceList,
  validateResourceQuantityValue,
  validateResourceQuotaResourceName,
} from "./resource-requirements.ts";
import { clearStatus, keepStatus } from "./status-strategy.ts";

/** Scopes that are the pod's own properties: they are either true or not. */
const existsOnlyScopes = [
  "BestEffort",
  "NotBestEffort",
  "Terminating",
  "NotTerminating",
  "CrossNamespacePodAffinity",
];
const conflictingScopes = [
  ["BestEffort", "NotBestEffort"],
  ["Terminating", "NotTerminating"],
];

export function validateQuotaResourceList(list: unknown, path: FieldPath): FieldError[] {
  const parsed = parseResourceList(list, path);
  const errors = [...parsed.errors];
  for (const [name, quantity] of parsed.quantities) {
    errors.push(...validateResourceQuotaResourceName(name, path.key(name)));
    errors.push(...validateResourceQuantityValue(name, quantity, path.key(name)));
  }
  return errors;
}

function hasConflict(scopes: Set<string>): boolean {
  return conflictingScopes.some((pair) => pair.every((scope) => scopes.has(scope)));
}

function validateScopes(spec: JsonRecord, hard: string[], specPath: FieldPath): FieldError[] {
  const scopes = stringList(spec.scopes);
  if (scopes.length === 0) return [];
  const path = specPath.child("scopes");
  const errors: FieldError[] = [];
  for (const scope of scopes) {
    if (!STANDARD_QUOTA_SCOPES.includes(scope)) {
      errors.push(invalid(path, scopes, "unsupported scope"));
    }
    for (const resource of hard) {
      if (isStandardQuotaResourceName(resource) && !isQuotaScopeValidForResource(scope, resource)) {
        errors.push(invalid(path, scopes, "unsupported scope applied to resource"));
      }
    }
  }
  if (hasConflict(new Set(scopes))) errors.push(invalid(path, scopes, "conflicting scopes"));
  return errors;
}

function validateScopeSelector(
  spec: JsonRecord,
  hard: string[],
  specPath: FieldPath,
): FieldError[] {
  const selector = recordOf(spec.scopeSelector);
  if (!selector) return [];
  const path = specPath.child("scopeSelector", "matchExpressions");
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const requirement of recordList(selector.matchExpressions)) {
    const scope = stringOf(requirement.scopeName);
    const operator = stringOf(requirement.operator);
    const values = stringList(requirement.values);
    if (!STANDARD_QUOTA_SCOPES.includes(scope)) {
      errors.push(invalid(path.child("scopeName"), scope, "unsupported scope"));
    }
    for (const resource of hard) {
      if (isStandardQuotaResourceName(resource) && !isQuotaScopeValidForResource(scope, resource)) {
        errors.push(invalid(path, selector, "unsupported scope applied to resource"));
      }
    }
    if (existsOnlyScopes.includes(scope) && operator !== "Exists") {
      errors.push(
        invalid(
          path.child("operator"),
          operator,
          "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        ),
      );
    }
    if (operator === "In" || operator === "NotIn") {
      if (values.length === 0) {
        errors.push(
          required(
            path.child("values"),
            "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
          ),
        );
      }
    } else if (operator === "Exists" || operator === "DoesNotExist") {
      if (values.length > 0) {
        errors.push(
          invalid(
            path.child("values"),
            values,
            "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
          ),
        );
      }
    } else {
      errors.push(invalid(path.child("operator"), operator, "not a valid selector operator"));
    }
    seen.add(scope);
  }
  if (hasConflict(seen)) errors.push(invalid(path, stringList(spec.scopes), "conflicting scopes"));
  return errors;
}

function validateResourceQuota(quota: KubeObject): FieldError[] {
  const spec = recordOf(quota.spec) ?? {};
  const status = recordOf(quota.status) ?? {};
  const specPath = fieldPath("spec");
  const hard = Object.keys(recordOf(spec.hard) ?? {}).sort();
  return [
    ...validateObjectMeta(quota.metadata ?? {}, {
      namespaced: true,
      nameValidator: nameIsDNSSubdomain,
      standardFinalizersOnly: true,
    }),
    ...validateQuotaResourceList(spec.hard, specPath.child("hard")),
    ...validateScopes(spec, hard, specPath),
    ...validateScopeSelector(spec, hard, specPath),
    ...validateQuotaResourceList(status.hard, fieldPath("status", "hard")),
    ...validateQuotaResourceList(status.used, fieldPath("status", "used")),
  ];
}

function validateResourceQuotaUpdate(quota: KubeObject, old: KubeObject): FieldError[] {
  const errors = validateObjectMetaUpdate(quota.metadata ?? {}, old.metadata ?? {}, {
    standardFinalizersOnly: true,
  });
  const scopes = stringList(recordOf(quota.spec)?.scopes);
  const oldScopes = new Set(stringList(recordOf(old.spec)?.scopes));
  const same =
    new Set(scopes).size === oldScopes.size && scopes.every((scope) => oldScopes.has(scope));
  if (!same) errors.push(invalid(fieldPath("spec", "scopes"), scopes, "field is immutable"));
  return errors;
}

export const resourceQuotaKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "ResourceQuota",
  resource: "resourcequotas",
  singular: "resourcequota",
  namespaced: true,
  schemaRef: "core/v1.ResourceQuota",
  hasStatus: true,
  tracksGeneration: false,
  shortNames: ["quota"],
  subresources: ["status"],

  defaults(quota) {
    canonicalizeResourceList(recordOf(quota.spec)?.hard);
    const status = recordOf(quota.status);
    canonicalizeResourceList(status?.hard);
    canonicalizeResourceList(status?.used);
  },

  prepareForCreate(quota) {
    clearStatus(quota);
  },

  prepareForUpdate(quota, old) {
    keepStatus(quota, old);
  },

  validate: validateResourceQuota,
  validateUpdate: validateResourceQuotaUpdate,
};
