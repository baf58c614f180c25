/**
 * Ingress validation with upstream's paths and messages
 * (`pkg/apis/networking/validation`). Rules route by host (exact or `*.`-wildcard) and
 * path (Exact, Prefix or ImplementationSpecific) to a Service port or a resource.
 */
import type { KubeObject } from "../../kind.ts";
import { isDNS1123Subdomain, isWildcardDNS1123Subdomain } from "../../validation/dns-name.ts";
import { type FieldError, invalid, notSupported, required } from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { parseIPSloppy } from "../../validation/ip-address.ts";
import {
  nameIsDNS1035Label,
  nameIsDNSSubdomain,
  validatePathSegmentName,
} from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { isValidPortName, isValidPortNum } from "../../validation/port.ts";
import { type JsonRecord, recordList, recordOf, stringList, stringOf } from "../core/json-value.ts";

export const INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class";

const pathTypes = ["Exact", "ImplementationSpecific", "Prefix"];
/** Sequences a proxy could normalise into another path, letting a request escape a rule. */
const invalidPathSequences = ["//", "/./", "/../", "%2f", "%2F"];
const invalidPathSuffixes = ["/..", "/."];

/**
 * Upstream relaxes the TLS secret name and wildcard-host rule checks on update for objects
 * stored before those checks existed; nothing stored here predates them, so every write
 * gets the create-time checks.
 */
export function validateIngress(object: KubeObject): FieldError[] {
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const spec = recordOf(object.spec) ?? {};
  errors.push(...validateIngressSpec(spec, fieldPath("spec")));
  const annotation = object.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
  const className = spec.ingressClassName;
  if (annotation !== undefined && className != null && annotation !== className) {
    errors.push(
      invalid(
        fieldPath("annotations", INGRESS_CLASS_ANNOTATION),
        annotation,
        "must match `ingressClassName` when both are specified",
      ),
    );
  }
  return errors;
}

function validateIngressSpec(spec: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const rules = recordList(spec.rules);
  const defaultBackend = recordOf(spec.defaultBackend);
  if (rules.length === 0 && defaultBackend === undefined) {
    errors.push(
      invalid(path, spec.rules ?? null, "either `defaultBackend` or `rules` must be specified"),
    );
  }
  if (defaultBackend !== undefined) {
    errors.push(...validateBackend(defaultBackend, path.child("defaultBackend")));
  }
  rules.forEach((rule, i) => {
    errors.push(...validateRule(rule, path.child("rules").index(i)));
  });
  recordList(spec.tls).forEach((tls, i) => {
    const tlsPath = path.child("tls").index(i);
    stringList(tls.hosts).forEach((host, j) => {
      const messages = host.includes("*")
        ? isWildcardDNS1123Subdomain(host)
        : isDNS1123Subdomain(host);
      for (const message of messages) {
        errors.push(invalid(tlsPath.child("hosts").index(j), host, message));
      }
    });
    const secretName = stringOf(tls.secretName);
    for (const message of validateTLSSecretName(secretName)) {
      errors.push(invalid(tlsPath.child("secretName"), secretName, message));
    }
  });
  if (spec.ingressClassName != null) {
    const className = stringOf(spec.ingressClassName);
    for (const message of nameIsDNSSubdomain(className, false)) {
      errors.push(invalid(path.child("ingressClassName"), className, message));
    }
  }
  return errors;
}

function validateTLSSecretName(name: string): string[] {
  return name.length === 0 ? [] : nameIsDNSSubdomain(name, false);
}

function validateRule(rule: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const host = stringOf(rule.host);
  if (host.length > 0) {
    if (parseIPSloppy(host) !== undefined) {
      errors.push(invalid(path.child("host"), host, "must be a DNS name, not an IP address"));
    }
    if (host.includes("*")) {
      for (const message of isWildcardDNS1123Subdomain(host)) {
        errors.push(invalid(path.child("host"), host, message));
      }
    } else {
      for (const message of isDNS1123Subdomain(host)) {
        errors.push(invalid(path.child("host"), host, message));
      }
    }
  }
  errors.push(...validateRuleValue(rule, path));
  return errors;
}

function validateRuleValue(rule: JsonRecord, path: FieldPath): FieldError[] {
  const http = recordOf(rule.http);
  if (http === undefined) return [];
  const httpPath = path.child("http");
  const paths = recordList(http.paths);
  const errors: FieldError[] = [];
  if (paths.length === 0) errors.push(required(httpPath.child("paths"), ""));
  paths.forEach((entry, i) => {
    errors.push(...validateHTTPPath(entry, httpPath.child("paths").index(i)));
  });
  return errors;
}

function validateHTTPPath(entry: JsonRecord, path: FieldPath): FieldError[] {
  if (entry.pathType == null) {
    // networking/v1 has no default: a path's meaning depends on it.
    return [required(path.child("pathType"), "pathType must be specified")];
  }
  const errors: FieldError[] = [];
  const pathType = stringOf(entry.pathType);
  const value = stringOf(entry.path);
  const valuePath = path.child("path");
  switch (pathType) {
    case "Exact":
    case "Prefix":
      if (!value.startsWith("/"))
        errors.push(invalid(valuePath, value, "must be an absolute path"));
      if (value.length > 0) {
        for (const sequence of invalidPathSequences) {
          if (value.includes(sequence)) {
            errors.push(invalid(valuePath, value, `must not contain '${sequence}'`));
          }
        }
        for (const suffix of invalidPathSuffixes) {
          if (value.endsWith(suffix)) {
            errors.push(invalid(valuePath, value, `cannot end with '${suffix}'`));
          }
        }
      }
      break;
    case "ImplementationSpecific":
      if (value.length > 0 && !value.startsWith("/")) {
        errors.push(invalid(valuePath, value, "must be an absolute path"));
      }
      break;
    default:
      errors.push(notSupported(path.child("pathType"), pathType, pathTypes));
  }
  errors.push(...validateBackend(recordOf(entry.backend) ?? {}, path.child("backend")));
  return errors;
}

function validateBackend(backend: JsonRecord, path: FieldPath): FieldError[] {
  const resource = recordOf(backend.resource);
  const service = recordOf(backend.service);
  if (resource !== undefined && service !== undefined) {
    return [invalid(path, "", "cannot set both resource and service backends")];
  }
  if (resource !== undefined)
    return validateTypedLocalObjectReference(resource, path.child("resource"));
  if (service === undefined) return [invalid(path, "", "resource or service backend is required")];
  const errors: FieldError[] = [];
  const name = stringOf(service.name);
  const namePath = path.child("service", "name");
  if (name.length === 0) errors.push(required(namePath, ""));
  else {
    for (const message of nameIsDNS1035Label(name, false))
      errors.push(invalid(namePath, name, message));
  }
  const port = recordOf(service.port) ?? {};
  const portName = stringOf(port.name);
  const portNumber = typeof port.number === "number" ? port.number : 0;
  if (portName.length > 0 && portNumber !== 0) {
    errors.push(invalid(path, "", "cannot set both port name & port number"));
  } else if (portName.length > 0) {
    for (const message of isValidPortName(portName)) {
      errors.push(invalid(path.child("service", "port", "name"), portName, message));
    }
  } else if (portNumber !== 0) {
    for (const message of isValidPortNum(portNumber)) {
      errors.push(invalid(path.child("service", "port", "number"), portNumber, message));
    }
  } else {
    errors.push(required(path, "port name or number is required"));
  }
  return errors;
}

/** A reference to an object in the same namespace (a backend resource, an IngressClass's parameters). */
export function validateTypedLocalObjectReference(
  reference: JsonRecord,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  if (reference.apiGroup != null) {
    const group = stringOf(reference.apiGroup);
    for (const message of isDNS1123Subdomain(group)) {
      errors.push(invalid(path.child("apiGroup"), group, message));
    }
  }
  for (const [field, detail] of [
    ["kind", "kind is required"],
    ["name", "name is required"],
  ] as const) {
    const value = stringOf(reference[field]);
    if (value === "") errors.push(required(path.child(field), detail));
    else {
      for (const message of validatePathSegmentName(value, false)) {
        errors.push(invalid(path.child(field), value, message));
      }
    }
  }
  return errors;
}
