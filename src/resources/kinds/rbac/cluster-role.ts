/**
 * rbac.authorization.k8s.io/v1 ClusterRole: permissions cluster-wide or, through a
 * RoleBinding, in one namespace; optionally aggregated from other ClusterRoles by label.
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import type { FieldError } from "../../validation/field-error.ts";
import {
  validateAggregationRule,
  validatePolicyRules,
  validateRBACMetadata,
} from "./rbac.validation.ts";

export const clusterRoleKind: KindDefinition = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  kind: "ClusterRole",
  resource: "clusterroles",
  singular: "clusterrole",
  namespaced: false,
  schemaRef: "rbac/v1.ClusterRole",
  hasStatus: false,

  validate: (object) => validateClusterRole(object),
};

export function validateClusterRole(object: KubeObject): FieldError[] {
  return [
    ...validateRBACMetadata(object, false),
    ...validatePolicyRules(object, false),
    ...validateAggregationRule(object),
  ];
}
