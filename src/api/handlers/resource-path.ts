import type { KindDefinition } from "../../resources/kind.ts";
import type { KindRegistry } from "../../resources/kind-registry.ts";

/** A request URL resolved to a kind: upstream's RequestInfo for resource requests. */
export interface ResourcePath {
  kind: KindDefinition;
  group: string;
  version: string;
  /** "" for cluster-scoped resources and for lists across all namespaces. */
  namespace: string;
  name: string;
  subresource: string;
  /** For a proxy subresource: the path after it ("stats/summary"), decoded; "" when none. */
  proxyPath?: string;
}

/**
 * Resolves `/api/v1/...` and `/apis/<group>/<version>/...` paths. Returns null
 * for paths that name no served resource (the caller answers 404).
 */
export function parseResourcePath(pathname: string, kinds: KindRegistry): ResourcePath | null {
  const parts = pathname
    .split("/")
    .filter((part) => part !== "")
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) {
    group = "";
    version = parts[1] as string;
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 4) {
    group = parts[1] as string;
    version = parts[2] as string;
    rest = parts.slice(3);
  } else {
    return null;
  }
  let namespace = "";
  // namespaces/<ns>/<resource>/... names a namespaced resource; namespaces/<name>[/<sub>] the namespace itself.
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const inner = kinds.resource(group, version, rest[2] as string);
    if (inner?.namespaced) {
      namespace = rest[1] as string;
      rest = rest.slice(2);
    }
  }
  const [resource, name = "", subresource = "", ...extra] = rest;
  // As upstream's RequestInfo, only a proxy subresource has more parts: the proxied path.
  if (!resource || (extra.length > 0 && subresource !== "proxy")) return null;
  const kind = kinds.resource(group, version, resource);
  if (!kind) return null;
  if (subresource === "proxy") {
    return { kind, group, version, namespace, name, subresource, proxyPath: extra.join("/") };
  }
  return { kind, group, version, namespace, name, subresource };
}
