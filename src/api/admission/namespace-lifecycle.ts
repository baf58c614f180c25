/**
 * NamespaceLifecycle admission (upstream plugin/namespace/lifecycle): the system
 * namespaces cannot be deleted.
 */
import { forbidden } from "../errors/status-error.ts";
import type { AdmissionPlugin, AdmissionRequest } from "./admission.ts";

/** Namespaces the cluster itself relies on. */
export const IMMORTAL_NAMESPACES: readonly string[] = ["default", "kube-system", "kube-public"];

/** Throws 403 `namespace "default" is forbidden: this namespace may not be deleted`. */
export function checkNamespaceDeletion(name: string): void {
  if (IMMORTAL_NAMESPACES.includes(name)) {
    throw forbidden(
      { group: "", resource: "namespaces", name },
      "this namespace may not be deleted",
    );
  }
}

/**
 * The plugin's delete half; the registry itself refuses creates in missing or
 * terminating namespaces (it can fall back to the store for a namespace the
 * cache has not seen yet).
 */
export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = "NamespaceLifecycle";

  /** The registry runs `validate` for deletes too: refuse deleting a system namespace. */
  async validate(request: AdmissionRequest): Promise<void> {
    if (
      request.operation === "DELETE" &&
      request.kind.group === "" &&
      request.kind.resource === "namespaces"
    ) {
      checkNamespaceDeletion(request.object.metadata?.name ?? "");
    }
  }
}
