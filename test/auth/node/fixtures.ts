import type { AdmissionOperation, AdmissionRequest } from "../../../src/api/admission/admission.ts";
import type { NodeAttributes } from "../../../src/auth/node/node-authorizer.ts";
import type { ObjectReader, ResourceRef, UserInfo } from "../../../src/auth/types.ts";
import type { KindDefinition, KubeObject } from "../../../src/resources/kind.ts";

/** An ObjectReader over objects kept in memory, keyed by resource, namespace and name. */
export class MemoryReader implements ObjectReader {
  private readonly objects = new Map<string, KubeObject>();

  constructor(entries: readonly [ResourceRef, KubeObject][] = []) {
    for (const [ref, object] of entries) this.put(ref, object);
  }

  put(ref: ResourceRef, object: KubeObject): void {
    const meta = object.metadata ?? {};
    this.objects.set(key(ref, meta.namespace ?? "", meta.name ?? ""), object);
  }

  get(ref: ResourceRef, namespace: string, name: string): KubeObject | undefined {
    return this.objects.get(key(ref, namespace, name));
  }

  list(ref: ResourceRef, namespace?: string): readonly KubeObject[] {
    const prefix = `${ref.group}/${ref.resource}/${namespace === undefined ? "" : `${namespace}/`}`;
    return [...this.objects].filter(([k]) => k.startsWith(prefix)).map(([, object]) => object);
  }
}

const key = (ref: ResourceRef, namespace: string, name: string) =>
  `${ref.group}/${ref.resource}/${namespace}/${name}`;

export const refs = {
  pods: { group: "", resource: "pods" },
  nodes: { group: "", resource: "nodes" },
  pvcs: { group: "", resource: "persistentvolumeclaims" },
  pvs: { group: "", resource: "persistentvolumes" },
  volumeAttachments: { group: "storage.k8s.io", resource: "volumeattachments" },
} satisfies Record<string, ResourceRef>;

export function nodeUser(name: string): UserInfo {
  return { user: `system:node:${name}`, groups: ["system:nodes", "system:authenticated"] };
}

export const alice: UserInfo = { user: "alice", groups: ["system:authenticated"] };

/** A pod in namespace "ns" bound to `node` ("" for unscheduled) with the given spec fields. */
export function pod(name: string, node: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "ns", uid: `uid-${name}` },
    spec: { nodeName: node, containers: [{ name: "c", image: "busybox" }], ...spec },
  };
}

/** Resource-request attributes; override what a test is about. */
export function attributes(user: UserInfo, fields: Partial<NodeAttributes>): NodeAttributes {
  return {
    user,
    verb: "get",
    resourceRequest: true,
    path: "",
    apiGroup: "",
    apiVersion: "v1",
    resource: "",
    subresource: "",
    namespace: "",
    name: "",
    ...fields,
  };
}

export function kind(group: string, resource: string, kindName: string): KindDefinition {
  return {
    group,
    version: "v1",
    kind: kindName,
    resource,
    singular: kindName.toLowerCase(),
    namespaced: resource !== "nodes" && resource !== "csinodes",
    schemaRef: "",
    hasStatus: true,
  };
}

export const kinds = {
  pods: kind("", "pods", "Pod"),
  nodes: kind("", "nodes", "Node"),
  pvcs: kind("", "persistentvolumeclaims", "PersistentVolumeClaim"),
  serviceAccounts: kind("", "serviceaccounts", "ServiceAccount"),
  leases: kind("coordination.k8s.io", "leases", "Lease"),
  csiNodes: kind("storage.k8s.io", "csinodes", "CSINode"),
  configMaps: kind("", "configmaps", "ConfigMap"),
};

export interface RequestFields {
  operation: AdmissionOperation;
  kind: KindDefinition;
  object: KubeObject;
  oldObject?: KubeObject | null;
  subresource?: string;
  namespace?: string;
}

export function admissionRequest(user: UserInfo, fields: RequestFields): AdmissionRequest {
  return {
    operation: fields.operation,
    kind: fields.kind,
    object: fields.object,
    oldObject: fields.oldObject ?? null,
    subresource: fields.subresource ?? "",
    context: {
      user: user.user,
      groups: user.groups,
      namespace: fields.namespace ?? "",
      dryRun: false,
    },
  };
}
