/**
 * Resolves an apiVersion and kind of a built-in type to its schema ref:
 * "v1"/"Pod" → "core/v1.Pod", "apps/v1"/"Deployment" → "apps/v1.Deployment",
 * "authorization.k8s.io/v1"/"SelfSubjectAccessReview" →
 * "authorization/v1.SelfSubjectAccessReview". Undefined for anything the
 * schema does not know, such as custom resources.
 */
import { typeSchema } from "../../resources/schema/schema.ts";

export function builtinRef(apiVersion: string, kind: string): string | undefined {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (!version || !kind) return undefined;
  // Built-in groups are bare ("apps") or end in ".k8s.io"; the schema names a package
  // after the group's first label ("rbac.authorization.k8s.io" → "rbac").
  if (group.includes(".") && !group.endsWith(".k8s.io")) return undefined;
  const pkg = group === "" ? "core" : (group.split(".")[0] as string);
  const ref = `${pkg}/${version}.${kind}`;
  return typeSchema(ref) ? ref : undefined;
}
