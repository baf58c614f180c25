/** rbac.authorization.k8s.io/v1 ClusterRoleBinding: grants a ClusterRole cluster-wide. */
import type { KindDefinition } from "../../kind.ts";
import { defaultBinding, validateBinding, validateRoleRefUnchanged } from "./rbac.validation.ts";

export const clusterRoleBindingKind: KindDefinition = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  kind: "ClusterRoleBinding",
  resource: "clusterrolebindings",
  singular: "clusterrolebinding",
  namespaced: false,
  schemaRef: "rbac/v1.ClusterRoleBinding",
  hasStatus: false,

  defaults: defaultBinding,
  validate: (object) => validateBinding(object, false),
  validateUpdate: (object, old) => validateRoleRefUnchanged(object, old),
};
