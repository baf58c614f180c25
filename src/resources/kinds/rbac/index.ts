import type { KindDefinition } from "../../kind.ts";
import { clusterRoleKind } from "./cluster-role.ts";
import { clusterRoleBindingKind } from "./cluster-role-binding.ts";
import { roleKind } from "./role.ts";
import { roleBindingKind } from "./role-binding.ts";

export const rbacKinds: readonly KindDefinition[] = [
  roleKind,
  clusterRoleKind,
  roleBindingKind,
  clusterRoleBindingKind,
];
