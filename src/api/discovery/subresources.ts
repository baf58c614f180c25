/**
 * What each subresource of a kind looks like to clients: the kind it answers
 * with, the verbs it allows and how it is served. Discovery lists these facts
 * and the OpenAPI paths are built from them, so both agree with upstream.
 */
import type { KindDefinition } from "../../resources/kind.ts";

/**
 * How the REST layer serves a subresource, which decides its OpenAPI operations:
 * - `object`: read/replace/patch of an object (status, scale, …), per verb;
 * - `create`: a POST of the response kind (binding, eviction, token);
 * - `log`: a GET answering plain text;
 * - `connect`: a streaming connection (exec, attach, portforward, proxy).
 */
export type SubresourceStyle = "object" | "create" | "log" | "connect";

export interface SubresourceDescriptor {
  /** The URL segment after the object name ("status"). */
  name: string;
  /** The kind it answers with ("" for core). */
  group: string;
  version: string;
  kind: string;
  /** Schema reference of that kind in src/resources/schema, when it travels as a body. */
  schemaRef?: string;
  /** Sorted like upstream discovery. */
  verbs: readonly string[];
  style: SubresourceStyle;
}

const readWrite = ["get", "patch", "update"] as const;
const proxyVerbs = ["create", "delete", "get", "patch", "update"] as const;

/**
 * Upstream's subresources by name. A parent-kind entry (group undefined)
 * answers with the parent's own kind, as `pods/status` answers with a Pod.
 */
const known: Record<
  string,
  Omit<SubresourceDescriptor, "name" | "group" | "version" | "kind"> & {
    gvk?: { group: string; version: string; kind: string };
    /** Connect kinds are named after the parent: PodExecOptions, NodeProxyOptions. */
    kindSuffix?: string;
  }
> = {
  status: { verbs: readWrite, style: "object" },
  scale: {
    gvk: { group: "autoscaling", version: "v1", kind: "Scale" },
    schemaRef: "autoscaling/v1.Scale",
    verbs: readWrite,
    style: "object",
  },
  ephemeralcontainers: { verbs: readWrite, style: "object" },
  resize: { verbs: readWrite, style: "object" },
  approval: { verbs: readWrite, style: "object" },
  finalize: { verbs: ["update"], style: "object" },
  binding: {
    gvk: { group: "", version: "v1", kind: "Binding" },
    schemaRef: "core/v1.Binding",
    verbs: ["create"],
    style: "create",
  },
  eviction: {
    gvk: { group: "policy", version: "v1", kind: "Eviction" },
    schemaRef: "policy/v1.Eviction",
    verbs: ["create"],
    style: "create",
  },
  token: {
    gvk: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" },
    schemaRef: "authentication/v1.TokenRequest",
    verbs: ["create"],
    style: "create",
  },
  log: { verbs: ["get"], style: "log" },
  exec: { kindSuffix: "ExecOptions", verbs: ["create", "get"], style: "connect" },
  attach: { kindSuffix: "AttachOptions", verbs: ["create", "get"], style: "connect" },
  portforward: { kindSuffix: "PortForwardOptions", verbs: ["create", "get"], style: "connect" },
  proxy: { kindSuffix: "ProxyOptions", verbs: proxyVerbs, style: "connect" },
};

const cache = new WeakMap<KindDefinition, readonly SubresourceDescriptor[]>();

/**
 * The subresources of a kind, sorted by name: those it lists, plus `status`
 * when it has a status strategy and `scale` when it has a scale subresource.
 * A name upstream does not define is described as a read/write view of the
 * parent, the shape every custom subresource of a built-in kind has.
 */
export function subresourcesOf(kind: KindDefinition): readonly SubresourceDescriptor[] {
  const cached = cache.get(kind);
  if (cached) return cached;
  const names = new Set(kind.subresources ?? []);
  if (kind.hasStatus) names.add("status");
  if (kind.scale) names.add("scale");
  const result = [...names].sort().map((name) => describe(kind, name));
  cache.set(kind, result);
  return result;
}

function describe(parent: KindDefinition, name: string): SubresourceDescriptor {
  const entry = known[name] ?? { verbs: readWrite, style: "object" as const };
  if (entry.gvk) {
    const described: SubresourceDescriptor = {
      name,
      ...entry.gvk,
      verbs: entry.verbs,
      style: entry.style,
    };
    if (entry.schemaRef) described.schemaRef = entry.schemaRef;
    return described;
  }
  if (entry.kindSuffix) {
    return {
      name,
      group: parent.group,
      version: parent.version,
      kind: parent.kind + entry.kindSuffix,
      verbs: entry.verbs,
      style: entry.style,
    };
  }
  return {
    name,
    group: parent.group,
    version: parent.version,
    kind: parent.kind,
    schemaRef: parent.schemaRef,
    verbs: entry.verbs,
    style: entry.style,
  };
}
