/**
 * networking.k8s.io/v1 IngressClass: which controller implements a class of Ingresses.
 * Defaults and validation as upstream's (`pkg/apis/networking`).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import {
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
} from "../../validation/field-error.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { validateImmutable } from "../../validation/immutable.ts";
import { nameIsDNSSubdomain, validateNamespaceName } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { recordOf, stringOf } from "../core/json-value.ts";
import { validateDomainPrefixedPath } from "./domain-prefixed-path.ts";
import { validateTypedLocalObjectReference } from "./ingress.validation.ts";

const maxControllerLength = 250;
const parameterScopes = ["Cluster", "Namespace"];

export const ingressClassKind: KindDefinition = {
  group: "networking.k8s.io",
  version: "v1",
  kind: "IngressClass",
  resource: "ingressclasses",
  singular: "ingressclass",
  namespaced: false,
  schemaRef: "networking/v1.IngressClass",
  hasStatus: false,
  tracksGeneration: true,

  defaults(object) {
    // Parameters without a scope predate namespaced parameters: they were cluster-scoped.
    const parameters = recordOf(recordOf(object.spec)?.parameters);
    if (parameters !== undefined && parameters.scope == null) parameters.scope = "Cluster";
  },
  validate: (object) => validateIngressClass(object),
  // The controller owns the Ingresses of its class; moving them to another is a new class.
  validateUpdate: (object, old) =>
    validateImmutable(
      stringOf(recordOf(old.spec)?.controller),
      stringOf(recordOf(object.spec)?.controller),
      fieldPath("spec", "controller"),
    ),
};

export function validateIngressClass(object: KubeObject): FieldError[] {
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: false,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const spec = recordOf(object.spec) ?? {};
  const controllerPath = fieldPath("spec", "controller");
  const controller = stringOf(spec.controller);
  if (controller.length > maxControllerLength) {
    errors.push(tooLong(controllerPath, maxControllerLength));
  }
  errors.push(...validateDomainPrefixedPath(controllerPath, controller));
  const parameters = recordOf(spec.parameters);
  if (parameters === undefined) return errors;
  const path = fieldPath("spec", "parameters");
  errors.push(...validateTypedLocalObjectReference(parameters, path));
  if (parameters.scope == null) {
    errors.push(required(path.child("scope"), ""));
    return errors;
  }
  const scope = stringOf(parameters.scope);
  if (!parameterScopes.includes(scope)) {
    errors.push(notSupported(path.child("scope"), scope, parameterScopes));
  } else if (scope === "Namespace") {
    if (parameters.namespace == null) {
      errors.push(required(path.child("namespace"), "`parameters.scope` is set to 'Namespace'"));
    } else {
      const namespace = stringOf(parameters.namespace);
      for (const message of validateNamespaceName(namespace, false)) {
        errors.push(invalid(path.child("namespace"), namespace, message));
      }
    }
  } else if (parameters.namespace != null) {
    errors.push(forbidden(path.child("namespace"), "`parameters.scope` is set to 'Cluster'"));
  }
  return errors;
}
