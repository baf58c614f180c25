/**
 * Environment of a container (upstream ValidateEnv, validateEnvVarValueFrom and
 * ValidateEnvFrom): names, and exactly one source for each computed value.
 */
import { type FieldError, invalid, required } from "../../validation/field-error.ts";
import type { FieldPath } from "../../validation/field-path.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { isConfigMapKey, isRelaxedEnvVarName } from "./config-map-key.ts";
import {
  ENV_FIELD_PATHS,
  validateObjectFieldSelector,
  validateResourceFieldSelector,
} from "./downward-api.validation.ts";
import { type JsonRecord, recordList, recordOf, stringOf } from "./json-value.ts";

export function validateEnv(env: unknown, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  recordList(env).forEach((variable, i) => {
    const itemPath = path.index(i);
    const name = stringOf(variable.name);
    if (name === "") errors.push(required(itemPath.child("name"), ""));
    else {
      errors.push(
        ...isRelaxedEnvVarName(name).map((m) => invalid(itemPath.child("name"), name, m)),
      );
    }
    const valueFrom = recordOf(variable.valueFrom);
    if (valueFrom) {
      errors.push(...validateEnvValueFrom(variable, valueFrom, itemPath.child("valueFrom")));
    }
  });
  return errors;
}

function validateEnvValueFrom(
  variable: JsonRecord,
  valueFrom: JsonRecord,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  let sources = 0;
  const fieldRef = recordOf(valueFrom.fieldRef);
  if (fieldRef) {
    sources++;
    errors.push(...validateObjectFieldSelector(fieldRef, ENV_FIELD_PATHS, path.child("fieldRef")));
  }
  const resourceFieldRef = recordOf(valueFrom.resourceFieldRef);
  if (resourceFieldRef) {
    sources++;
    errors.push(
      ...validateResourceFieldSelector(resourceFieldRef, path.child("resourceFieldRef"), false),
    );
  }
  for (const kind of ["configMapKeyRef", "secretKeyRef"]) {
    const selector = recordOf(valueFrom[kind]);
    if (!selector) continue;
    sources++;
    const name = stringOf(selector.name);
    const key = stringOf(selector.key);
    const selectorPath = path.child(kind);
    errors.push(
      ...nameIsDNSSubdomain(name, false).map((m) => invalid(selectorPath.child("name"), name, m)),
    );
    if (key === "") errors.push(required(selectorPath.child("key"), ""));
    else errors.push(...isConfigMapKey(key).map((m) => invalid(selectorPath.child("key"), key, m)));
  }
  if (sources === 0) {
    errors.push(
      invalid(
        path,
        "",
        "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
      ),
    );
  } else if (stringOf(variable.value) !== "") {
    errors.push(invalid(path, "", "may not be specified when `value` is not empty"));
  } else if (sources > 1) {
    errors.push(invalid(path, "", "may not have more than one field specified at a time"));
  }
  return errors;
}

export function validateEnvFrom(envFrom: unknown, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  recordList(envFrom).forEach((source, i) => {
    const itemPath = path.index(i);
    const prefix = stringOf(source.prefix);
    if (prefix !== "") {
      errors.push(
        ...isRelaxedEnvVarName(prefix).map((m) => invalid(itemPath.child("prefix"), prefix, m)),
      );
    }
    let sources = 0;
    for (const kind of ["configMapRef", "secretRef"]) {
      const ref = recordOf(source[kind]);
      if (!ref) continue;
      sources++;
      const name = stringOf(ref.name);
      const namePath = itemPath.child(kind).child("name");
      if (name === "") errors.push(required(namePath, ""));
      else errors.push(...nameIsDNSSubdomain(name, true).map((m) => invalid(namePath, name, m)));
    }
    // Upstream reports these two at the list, not at the entry.
    if (sources === 0) {
      errors.push(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"));
    } else if (sources > 1) {
      errors.push(invalid(path, "", "may not have more than one field specified at a time"));
    }
  });
  return errors;
}
