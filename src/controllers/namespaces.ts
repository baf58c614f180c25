import { resourcePath } from "../client/resource-path.ts";
import type { KubeObject } from "../resources/kind.ts";
import type { InformerSelection } from "./shared-informers.ts";

/** All namespaces: the per-namespace controllers share this one informer. */
export const NAMESPACES: InformerSelection = {
  path: resourcePath({ version: "v1", resource: "namespaces" }),
};

/** Active and not being deleted: a terminating namespace refuses new content. */
export function isActiveNamespace(ns: KubeObject): boolean {
  const phase = (ns.status as { phase?: unknown } | undefined)?.phase;
  return phase === "Active" && !ns.metadata?.deletionTimestamp;
}
