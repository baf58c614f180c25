/** Where a resource lives: core when `group` is empty or absent. */
export interface ResourceRef {
  group?: string;
  version: string;
  /** Plural lower-case resource name ("pods", "deployments"). */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * The REST path of a collection, an object or a subresource:
 * `/api/v1/namespaces/default/pods/web/status`, `/apis/apps/v1/deployments`.
 * Omitting `namespace` on a namespaced resource addresses all namespaces.
 */
export function resourcePath(ref: ResourceRef): string {
  const segments = ref.group ? ["apis", ref.group, ref.version] : ["api", ref.version];
  if (ref.namespace) segments.push("namespaces", ref.namespace);
  segments.push(ref.resource);
  if (ref.name !== undefined) segments.push(ref.name);
  if (ref.subresource !== undefined) {
    if (ref.name === undefined) throw new Error("resourcePath: a subresource needs a name");
    segments.push(ref.subresource);
  }
  return `/${segments.map(encodeURIComponent).join("/")}`;
}
