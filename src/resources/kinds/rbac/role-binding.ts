/** rbac.authorization.k8s.io/v1 RoleBinding: grants a Role or ClusterRole within one namespace. */
import type { KindDefinition } from "../../kind.ts";
import { defaultBinding, validateBinding, validateRoleRefUnchanged } from "./rbac.validation.ts";

export const roleBindingKind: KindDefinition = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  kind: "RoleBinding",
  resource: "rolebindings",
  singular: "rolebinding",
  namespaced: true,
  schemaRef: "rbac/v1.RoleBinding",
  hasStatus: false,

  defaults: defaultBinding,
  validate: (object) => validateBinding(object, true),
  validateUpdate: (object, old) => validateRoleRefUnchanged(object, old),
};
