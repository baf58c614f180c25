/**
 * ConfigMap (core/v1): keys usable as file names, at most 1 MiB of data in total, and
 * frozen data once `immutable: true` (upstream ValidateConfigMap / …Update).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { type FieldError, forbidden, invalid, tooLong } from "../../validation/field-error.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { semanticEqual } from "../../validation/immutable.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";
import { utf8Length } from "../../validation/validation-messages.ts";
import { isConfigMapKey } from "./config-map-key.ts";
import { isRecord } from "./json-value.ts";
import { base64DecodedLength } from "./secret-data.ts";

/** Upstream MaxSecretSize, shared by ConfigMaps: 1 MiB keeps objects well under etcd's limit. */
export const MAX_DATA_SIZE = 1024 * 1024;
const immutableMessage = "field is immutable when `immutable` is set";

function validateConfigMap(configMap: KubeObject): FieldError[] {
  const errors = validateObjectMeta(configMap.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const data = isRecord(configMap.data) ? configMap.data : {};
  const binaryData = isRecord(configMap.binaryData) ? configMap.binaryData : {};
  let total = 0;
  for (const [key, value] of Object.entries(data)) {
    const path = fieldPath("data").key(key);
    errors.push(...isConfigMapKey(key).map((m) => invalid(path, key, m)));
    if (key in binaryData) {
      errors.push(invalid(path, key, "duplicate of key present in binaryData"));
    }
    total += typeof value === "string" ? utf8Length(value) : 0;
  }
  for (const [key, value] of Object.entries(binaryData)) {
    const path = fieldPath("binaryData").key(key);
    errors.push(...isConfigMapKey(key).map((m) => invalid(path, key, m)));
    total += typeof value === "string" ? base64DecodedLength(value) : 0;
  }
  // Upstream reports the size at an empty path, rendered "[]", meaning the whole object.
  if (total > MAX_DATA_SIZE) errors.push(tooLong(fieldPath(""), MAX_DATA_SIZE));
  return errors;
}

function validateConfigMapUpdate(configMap: KubeObject, old: KubeObject): FieldError[] {
  const errors = validateObjectMetaUpdate(configMap.metadata ?? {}, old.metadata ?? {}, {
    standardFinalizersOnly: true,
  });
  if (old.immutable === true) {
    if (configMap.immutable !== true) {
      errors.push(forbidden(fieldPath("immutable"), immutableMessage));
    }
    if (!semanticEqual(configMap.data, old.data)) {
      errors.push(forbidden(fieldPath("data"), immutableMessage));
    }
    if (!semanticEqual(configMap.binaryData, old.binaryData)) {
      errors.push(forbidden(fieldPath("binaryData"), immutableMessage));
    }
  }
  return errors;
}

export const configMapKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "ConfigMap",
  resource: "configmaps",
  singular: "configmap",
  namespaced: true,
  schemaRef: "core/v1.ConfigMap",
  hasStatus: false,
  shortNames: ["cm"],
  validate: validateConfigMap,
  validateUpdate: validateConfigMapUpdate,
};
