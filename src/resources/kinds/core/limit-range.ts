/**
 * LimitRange (core/v1): per-namespace minimums, maximums and defaults for container, pod
 * and claim resources, which the LimitRanger admission plugin applies. The values must
 * be consistent with each other (upstream ValidateLimitRange).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import type { Quantity } from "../../quantity/quantity.ts";
import {
  duplicate,
  type FieldError,
  forbidden,
  invalid,
  required,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";
import { isQualifiedName } from "../../validation/qualified-name.ts";
import { isRecord, type JsonRecord, recordList, recordOf, stringOf } from "./json-value.ts";
import { isOvercommitAllowed, STANDARD_LIMIT_TYPES } from "./resource-names.ts";
import {
  canonicalizeResourceList,
  parseResourceList,
  validateContainerResourceName,
  validateResourceName,
} from "./resource-requirements.ts";

const listFields = ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"] as const;
type ListField = (typeof listFields)[number];

function validateTypeName(type: string, path: FieldPath): FieldError[] {
  const errors = isQualifiedName(type).map((m) => invalid(path, type, m));
  if (errors.length === 0 && !type.includes("/") && !STANDARD_LIMIT_TYPES.includes(type)) {
    errors.push(invalid(path, type, "must be a standard limit type or fully qualified"));
  }
  return errors;
}

/** Pod and container limits name compute resources; other types (claims) any resource. */
function validateLimitResourceName(type: string, name: string, path: FieldPath): FieldError[] {
  return type === "Pod" || type === "Container"
    ? validateContainerResourceName(name, path)
    : validateResourceName(name, path);
}

function validateLimit(limit: JsonRecord, path: FieldPath): FieldError[] {
  const type = stringOf(limit.type);
  const errors: FieldError[] = [];
  const values = {} as Record<ListField, Map<string, Quantity>>;
  for (const field of listFields) {
    const parsed = parseResourceList(limit[field], path.child(field));
    errors.push(...parsed.errors);
    values[field] = parsed.quantities;
    const skipped = type === "Pod" && (field === "default" || field === "defaultRequest");
    if (skipped) {
      if (isRecord(limit[field]) && Object.keys(limit[field] as JsonRecord).length > 0) {
        errors.push(forbidden(path.child(field), "may not be specified when `type` is 'Pod'"));
      }
      values[field] = new Map();
      continue;
    }
    for (const name of parsed.quantities.keys()) {
      errors.push(...validateLimitResourceName(type, name, path.child(field).key(name)));
    }
  }
  if (
    type === "PersistentVolumeClaim" &&
    !values.min.has("storage") &&
    !values.max.has("storage")
  ) {
    errors.push(
      required(
        path.child("limits"),
        "either minimum or maximum storage value is required, but neither was provided",
      ),
    );
  }
  const keys = new Set(listFields.flatMap((field) => [...values[field].keys()]));
  for (const key of keys) errors.push(...validateConsistency(key, values, path));
  return errors;
}

function validateConsistency(
  key: string,
  values: Record<ListField, Map<string, Quantity>>,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const min = values.min.get(key);
  const max = values.max.get(key);
  const def = values.default.get(key);
  const request = values.defaultRequest.get(key);
  const ratio = values.maxLimitRequestRatio.get(key);
  const at = (field: string) => path.child(field).key(key);
  if (min && max && min.cmp(max) > 0) {
    errors.push(
      invalid(at("min"), min.toString(), `min value ${min} is greater than max value ${max}`),
    );
  }
  if (request && min && min.cmp(request) > 0) {
    errors.push(
      invalid(
        at("defaultRequest"),
        request.toString(),
        `min value ${min} is greater than default request value ${request}`,
      ),
    );
  }
  if (request && max && request.cmp(max) > 0) {
    errors.push(
      invalid(
        at("defaultRequest"),
        request.toString(),
        `default request value ${request} is greater than max value ${max}`,
      ),
    );
  }
  if (request && def && request.cmp(def) > 0) {
    errors.push(
      invalid(
        at("defaultRequest"),
        request.toString(),
        `default request value ${request} is greater than default limit value ${def}`,
      ),
    );
  }
  if (def && min && min.cmp(def) > 0) {
    errors.push(
      invalid(
        at("default"),
        min.toString(),
        `min value ${min} is greater than default value ${def}`,
      ),
    );
  }
  if (def && max && def.cmp(max) > 0) {
    errors.push(
      invalid(
        at("default"),
        max.toString(),
        `default value ${def} is greater than max value ${max}`,
      ),
    );
  }
  if (ratio && ratio.milliValue() < 1000n) {
    errors.push(
      invalid(at("maxLimitRequestRatio"), ratio.toString(), `ratio ${ratio} is less than 1`),
    );
  }
  if (ratio && min && max) {
    const limit = max.asApproximateNumber() / min.asApproximateNumber();
    if (ratio.asApproximateNumber() > limit) {
      errors.push(
        invalid(
          at("maxLimitRequestRatio"),
          ratio.toString(),
          `ratio ${ratio} is greater than max/min = ${limit.toFixed(6)}`,
        ),
      );
    }
  }
  // GPUs, huge pages and other resources that cannot be overcommitted: request = limit.
  if (!isOvercommitAllowed(key) && def && request && def.cmp(request) !== 0) {
    errors.push(
      invalid(
        at("defaultRequest"),
        request.toString(),
        `default value ${def} must equal to defaultRequest value ${request} in ${key}`,
      ),
    );
  }
  return errors;
}

function validateLimitRange(limitRange: KubeObject): FieldError[] {
  const errors = validateObjectMeta(limitRange.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const path = fieldPath("spec", "limits");
  const types = new Set<string>();
  recordList(recordOf(limitRange.spec)?.limits).forEach((limit, i) => {
    const type = stringOf(limit.type);
    errors.push(...validateTypeName(type, path.index(i).child("type")));
    if (types.has(type)) errors.push(duplicate(path.index(i).child("type"), type));
    types.add(type);
    errors.push(...validateLimit(limit, path.index(i)));
  });
  return errors;
}

/**
 * Container limits without a default take the max as default, and requests default to
 * the default limit, else to the min (upstream SetDefaults_LimitRangeItem).
 */
function defaultLimit(limit: JsonRecord): void {
  for (const field of listFields) canonicalizeResourceList(limit[field]);
  if (limit.type !== "Container") return;
  const fillFrom = (target: string, source: string) => {
    const from = recordOf(limit[source]);
    if (!from || Object.keys(from).length === 0) return;
    const into = recordOf(limit[target]) ?? {};
    for (const [key, value] of Object.entries(from)) if (!(key in into)) into[key] = value;
    limit[target] = into;
  };
  fillFrom("default", "max");
  fillFrom("defaultRequest", "default");
  fillFrom("defaultRequest", "min");
}

export const limitRangeKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "LimitRange",
  resource: "limitranges",
  singular: "limitrange",
  namespaced: true,
  schemaRef: "core/v1.LimitRange",
  hasStatus: false,
  shortNames: ["limits"],

  defaults(limitRange) {
    for (const limit of recordList(recordOf(limitRange.spec)?.limits)) defaultLimit(limit);
  },

  validate: validateLimitRange,

  validateUpdate(limitRange, old) {
    return validateObjectMetaUpdate(limitRange.metadata ?? {}, old.metadata ?? {}, {
      standardFinalizersOnly: true,
    });
  },
};
