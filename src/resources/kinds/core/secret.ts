/**
 * Secret (core/v1): `stringData` folded into `data`, type Opaque by default, keys usable
 * as file names, at most 1 MiB, the keys each well-known type needs, and frozen type
 * (and data, once `immutable: true`) on update (upstream ValidateSecret / …Update).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import {
  type FieldError,
  forbidden,
  invalid,
  OMIT_VALUE,
  required,
  tooLong,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { semanticEqual, validateImmutable } from "../../validation/immutable.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";
import { MAX_DATA_SIZE } from "./config-map.ts";
import { isConfigMapKey } from "./config-map-key.ts";
import { isRecord, stringMap, stringOf } from "./json-value.ts";
import {
  base64DecodedLength,
  base64ErrorOffset,
  decodeBase64,
  encodeBase64,
} from "./secret-data.ts";

const immutableMessage = "field is immutable when `immutable` is set";
/** Shown instead of secret bytes in messages, as upstream does. */
const redacted = "<secret contents redacted>";

function validateJSONObject(value: string, path: FieldPath): FieldError[] {
  const text = new TextDecoder().decode(decodeBase64(value));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const detail = text.trim() === "" ? "unexpected end of JSON input" : "invalid JSON document";
    return [invalid(path, redacted, detail)];
  }
  if (!isRecord(parsed)) {
    const kind = Array.isArray(parsed) ? "array" : parsed === null ? "null" : typeof parsed;
    if (kind === "null") return [];
    return [
      invalid(
        path,
        redacted,
        `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`,
      ),
    ];
  }
  return [];
}

/** The keys each well-known secret type must carry. */
function validateSecretType(secret: KubeObject, data: Record<string, string>): FieldError[] {
  const dataPath = fieldPath("data");
  switch (stringOf(secret.type)) {
    case "kubernetes.io/service-account-token": {
      const key = "kubernetes.io/service-account.name";
      return stringOf(secret.metadata?.annotations?.[key]) === ""
        ? [required(fieldPath("metadata", "annotations").key(key), "")]
        : [];
    }
    case "kubernetes.io/dockercfg":
    case "kubernetes.io/dockerconfigjson": {
      const key = secret.type === "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson";
      const value = data[key];
      if (value === undefined) return [required(dataPath.key(key), "")];
      return base64ErrorOffset(value) === undefined
        ? validateJSONObject(value, dataPath.key(key))
        : [];
    }
    case "kubernetes.io/basic-auth":
      // Either may be empty, but one of them must be there.
      return "username" in data || "password" in data
        ? []
        : [required(dataPath.key("username"), ""), required(dataPath.key("password"), "")];
    case "kubernetes.io/ssh-auth":
      return stringOf(data["ssh-privatekey"]) === ""
        ? [required(dataPath.key("ssh-privatekey"), "")]
        : [];
    case "kubernetes.io/tls":
      return ["tls.crt", "tls.key"]
        .filter((key) => !(key in data))
        .map((key) => required(dataPath.key(key), ""));
    default:
      return [];
  }
}

function validateSecret(secret: KubeObject): FieldError[] {
  const errors = validateObjectMeta(secret.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const data = stringMap(secret.data);
  let total = 0;
  for (const [key, value] of Object.entries(data)) {
    const path = fieldPath("data").key(key);
    errors.push(...isConfigMapKey(key).map((m) => invalid(path, key, m)));
    const offset = base64ErrorOffset(value);
    // Upstream fails to decode such a body at all; the message is Go's base64 error.
    if (offset !== undefined) {
      errors.push(invalid(path, OMIT_VALUE, `illegal base64 data at input byte ${offset}`));
    }
    total += base64DecodedLength(value);
  }
  if (total > MAX_DATA_SIZE) errors.push(tooLong(fieldPath("data"), MAX_DATA_SIZE));
  errors.push(...validateSecretType(secret, data));
  return errors;
}

function validateSecretUpdate(secret: KubeObject, old: KubeObject): FieldError[] {
  const errors = validateObjectMetaUpdate(secret.metadata ?? {}, old.metadata ?? {}, {
    standardFinalizersOnly: true,
  });
  errors.push(...validateImmutable(old.type, secret.type, fieldPath("type")));
  if (old.immutable === true) {
    if (secret.immutable !== true) errors.push(forbidden(fieldPath("immutable"), immutableMessage));
    if (!semanticEqual(secret.data, old.data)) {
      errors.push(forbidden(fieldPath("data"), immutableMessage));
    }
  }
  return errors;
}

export const secretKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "Secret",
  resource: "secrets",
  singular: "secret",
  namespaced: true,
  schemaRef: "core/v1.Secret",
  hasStatus: false,

  defaults(secret) {
    if (!secret.type) secret.type = "Opaque";
    // stringData is write-only: upstream folds it into data while decoding, overriding
    // data's entries, and never stores or returns it.
    if (isRecord(secret.stringData)) {
      const data = isRecord(secret.data) ? secret.data : {};
      for (const [key, value] of Object.entries(secret.stringData)) {
        data[key] = encodeBase64(typeof value === "string" ? value : "");
      }
      secret.data = data;
    }
    delete secret.stringData;
  },

  validate: validateSecret,
  validateUpdate: validateSecretUpdate,

  selectableFields(secret) {
    return { type: stringOf(secret.type) };
  },
};
