/**
 * RoleBindings and ClusterRoleBindings (rbac.authorization.k8s.io/v1). Roles and
 * ClusterRoles have no printer upstream and get the default NAME / CREATED AT table.
 */
import type { KubeObject } from "../kind.ts";
import { ageOf, nameOf } from "./object-meta-cells.ts";
import type { PrinterSet, ResourcePrinter } from "./resource-printer.ts";
import { ageColumn, column, nameColumn } from "./table-column.ts";

interface Binding {
  roleRef?: { kind?: string; name?: string } | null;
  subjects?: { kind?: string; name?: string; namespace?: string }[] | null;
}

const roleBindingColumns = [
  nameColumn,
  column(
    "Role",
    "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.",
  ),
  ageColumn,
  column("Users", "Users in the roleBinding", { priority: 1 }),
  column("Groups", "Groups in the roleBinding", { priority: 1 }),
  column("ServiceAccounts", "ServiceAccounts in the roleBinding", { priority: 1 }),
];

const clusterRoleBindingColumns = [
  nameColumn,
  column(
    "Role",
    "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.",
  ),
  ageColumn,
  column("Users", "Users in the clusterRoleBinding", { priority: 1 }),
  column("Groups", "Groups in the clusterRoleBinding", { priority: 1 }),
  column("ServiceAccounts", "ServiceAccounts in the clusterRoleBinding", { priority: 1 }),
];

/**
 * USERS, GROUPS and SERVICEACCOUNTS ("namespace/name"), each joined with ", ". Subjects
 * of any other kind are not shown.
 */
function subjectCells(binding: Binding): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const subject of binding.subjects ?? []) {
    const name = subject.name ?? "";
    if (subject.kind === "User") users.push(name);
    else if (subject.kind === "Group") groups.push(name);
    else if (subject.kind === "ServiceAccount")
      serviceAccounts.push(`${subject.namespace ?? ""}/${name}`);
  }
  return [users.join(", "), groups.join(", "), serviceAccounts.join(", ")];
}

function bindingPrinter(columns: ResourcePrinter["columns"]): ResourcePrinter {
  return {
    columns,
    cells(object: KubeObject, now: Date): unknown[] {
      const binding = object as Binding;
      const role = `${binding.roleRef?.kind ?? ""}/${binding.roleRef?.name ?? ""}`;
      return [nameOf(object), role, ageOf(object, now), ...subjectCells(binding)];
    },
  };
}

export const rbacPrinters: PrinterSet = {
  "rolebindings.rbac.authorization.k8s.io": bindingPrinter(roleBindingColumns),
  "clusterrolebindings.rbac.authorization.k8s.io": bindingPrinter(clusterRoleBindingColumns),
};
