/** rbac.authorization.k8s.io/v1 Role: permissions within one namespace. */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import type { FieldError } from "../../validation/field-error.ts";
import { validatePolicyRules, validateRBACMetadata } from "./rbac.validation.ts";

export const roleKind: KindDefinition = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  kind: "Role",
  resource: "roles",
  singular: "role",
  namespaced: true,
  schemaRef: "rbac/v1.Role",
  hasStatus: false,

  validate: (object) => validateRole(object),
};

export function validateRole(object: KubeObject): FieldError[] {
  return [...validateRBACMetadata(object, true), ...validatePolicyRules(object, true)];
}
