import type { AdmissionPlugin, AdmissionRequest } from "../../api/admission/admission.ts";
import { forbidden, notFound, type StatusError } from "../../api/errors/status-error.ts";
import type { KubeObject } from "../../resources/kind.ts";
import {
  recordList,
  recordOf,
  stringMap,
  stringOf,
} from "../../resources/kinds/core/json-value.ts";
import { describeDiff } from "../../resources/kinds/core/spec-diff.ts";
import { goQuote } from "../../resources/validation/go-quote.ts";
import { semanticEqual } from "../../resources/validation/immutable.ts";
import type { ObjectReader, ResourceRef, UserInfo } from "../types.ts";
import { nodeIdentity, nodeLeaseNamespace, nodeNameOf } from "./identity.ts";
import { forbiddenNodeLabels, modifiedLabels } from "./node-labels.ts";
import { findApiObjectReference } from "./pod-references.ts";

/** The annotation the kubelet puts on the API copy of a static pod. */
export const mirrorPodAnnotation = "kubernetes.io/config.mirror";

const podsRef: ResourceRef = { group: "", resource: "pods" };
const nodesRef: ResourceRef = { group: "", resource: "nodes" };

/** A check returns the reason to refuse the request, or undefined to let it through. */
type Check = (node: string, request: AdmissionRequest) => string | undefined;

const nameOf = (object: KubeObject | null | undefined) => object?.metadata?.name ?? "";
const specOf = (object: KubeObject | null | undefined) => recordOf(object?.spec) ?? {};
const nodeNameOfPod = (pod: KubeObject | null | undefined) => stringOf(specOf(pod).nodeName);

/** The name a request is about: the object's at create, the stored one's otherwise. */
function requestName(request: AdmissionRequest): string {
  if (request.operation === "CREATE") return nameOf(request.object);
  return nameOf(request.oldObject) || nameOf(request.object);
}

function denial(kind: ResourceRef, name: string, message: string): StatusError {
  return forbidden({ group: kind.group, resource: kind.resource, name }, message);
}

/**
 * Limits what kubelets write (upstream's NodeRestriction): a node may create
 * only mirror pods bound to itself, update the status of and delete only its
 * own pods, modify only its own Node (without touching taints, podCIDRs, the
 * config source or protected labels), its own lease and CSINode, and request
 * tokens only for pods bound to it. The Node authorizer admits these requests
 * by verb and name; this plugin checks what they contain. Checks run in the
 * mutating phase, like upstream's, so they see the object as the node sent it.
 */
export class NodeRestriction implements AdmissionPlugin {
  readonly name = "NodeRestriction";
  private readonly checks: ReadonlyMap<string, Check>;

  constructor(private readonly reader: ObjectReader) {
    this.checks = new Map<string, Check>([
      ["/pods", (node, request) => this.checkPod(node, request)],
      ["/nodes", checkNode],
      ["/persistentvolumeclaims", checkClaim],
      ["/serviceaccounts", (node, request) => this.checkTokenRequest(node, request)],
      ["coordination.k8s.io/leases", checkLease],
      ["storage.k8s.io/csinodes", checkCSINode],
    ]);
  }

  async mutate(request: AdmissionRequest): Promise<void> {
    const node = nodeIdentity(request.context.user, request.context.groups);
    if (node === undefined) return;
    const name = requestName(request);
    if (node === "") {
      throw denial(
        request.kind,
        name,
        `could not determine node from user ${goQuote(request.context.user)}`,
      );
    }
    const message = this.checks.get(`${request.kind.group}/${request.kind.resource}`)?.(
      node,
      request,
    );
    if (message !== undefined) throw denial(request.kind, name, message);
  }

  /** Deletes pass only through validation (there is nothing to mutate). */
  async validate(request: AdmissionRequest): Promise<void> {
    if (request.operation !== "DELETE") return;
    const user: UserInfo = { user: request.context.user, groups: request.context.groups };
    checkNodeDelete(user, request.kind, request.object);
  }

  private checkPod(node: string, request: AdmissionRequest): string | undefined {
    switch (request.subresource) {
      case "":
        if (request.operation === "CREATE") return this.checkMirrorPod(node, request.object);
        if (request.operation === "DELETE") return undefined;
        return `unexpected operation ${goQuote(request.operation)}, node ${goQuote(node)} can only create and delete mirror pods`;
      case "status":
        return checkPodStatus(node, request);
      case "eviction":
        return this.checkEviction(node, request);
      default:
        return `unexpected pod subresource ${goQuote(request.subresource)}, only 'status' and 'eviction' are allowed`;
    }
  }

  /** Static pods run by the node itself, which must not reach any other API object. */
  private checkMirrorPod(node: string, pod: KubeObject): string | undefined {
    const quoted = goQuote(node);
    if (!Object.hasOwn(pod.metadata?.annotations ?? {}, mirrorPodAnnotation)) {
      return `pod does not have ${goQuote(mirrorPodAnnotation)} annotation, node ${quoted} can only create mirror pods`;
    }
    if (nodeNameOfPod(pod) !== node) {
      return `node ${quoted} can only create pods with spec.nodeName set to itself`;
    }
    const ownerProblem = this.checkMirrorPodOwner(node, pod);
    if (ownerProblem) return ownerProblem;
    const reference = findApiObjectReference(pod);
    if (reference === undefined) return undefined;
    if ("error" in reference) return reference.error;
    return `node ${quoted} can not create pods that reference ${reference.resource}`;
  }

  /** A mirror pod is owned (as controller) by its Node, so it goes away with the node. */
  private checkMirrorPodOwner(node: string, pod: KubeObject): string | undefined {
    const quoted = goQuote(node);
    const owners = pod.metadata?.ownerReferences ?? [];
    if (owners.length > 1) {
      return `node ${quoted} can only create pods with a single owner reference set to itself`;
    }
    const [owner] = owners;
    if (!owner || owner.apiVersion !== "v1" || owner.kind !== "Node" || owner.name !== node) {
      return `node ${quoted} can only create pods with an owner reference set to itself`;
    }
    if (owner.controller !== true) {
      return `node ${quoted} can only create pods with a controller owner reference set to itself`;
    }
    if (owner.blockOwnerDeletion === true) {
      return `node ${quoted} must not set blockOwnerDeletion on an owner reference`;
    }
    const stored = this.reader.get(nodesRef, "", node);
    if (!stored) throw notFound({ ...nodesRef, name: node });
    const uid = stored.metadata?.uid ?? "";
    // Upstream's wording, which names the reference's UID "expected".
    if (owner.uid !== uid) return `node ${node} UID mismatch: expected ${owner.uid} got ${uid}`;
    return undefined;
  }

  private checkEviction(node: string, request: AdmissionRequest): string | undefined {
    if (request.operation !== "CREATE") return `unexpected operation ${request.operation}`;
    const podName = nameOf(request.object);
    if (!podName) return "could not determine pod from request data";
    const pod = this.existingPod(request.context.namespace, podName);
    if (nodeNameOfPod(pod) !== node) {
      return `node ${node} can only evict pods with spec.nodeName set to itself`;
    }
    return undefined;
  }

  /** Tokens must be bound to a pod on the node, so they die with the pod. */
  private checkTokenRequest(node: string, request: AdmissionRequest): string | undefined {
    if (request.operation !== "CREATE" || request.subresource !== "token") return undefined;
    const ref = recordOf(specOf(request.object).boundObjectRef);
    const podName = stringOf(ref?.name);
    if (!ref || ref.apiVersion !== "v1" || ref.kind !== "Pod" || !podName) {
      return "node requested token not bound to a pod";
    }
    const pod = this.existingPod(request.context.namespace, podName);
    const uid = stringOf(ref.uid);
    if (uid && uid !== pod.metadata?.uid) {
      return `the UID in the bound object reference (${uid}) does not match the UID in record. The object might have been deleted and then recreated`;
    }
    if (nodeNameOfPod(pod) !== node) {
      return "node requested token bound to a pod scheduled on a different node";
    }
    return undefined;
  }

  private existingPod(namespace: string, name: string): KubeObject {
    const pod = this.reader.get(podsRef, namespace, name);
    if (!pod) throw notFound({ ...podsRef, name });
    return pod;
  }
}

function checkPodStatus(node: string, request: AdmissionRequest): string | undefined {
  if (request.operation !== "UPDATE") return `unexpected operation ${goQuote(request.operation)}`;
  const quoted = goQuote(node);
  if (nodeNameOfPod(request.oldObject) !== node) {
    return `node ${quoted} can only update pod status for pods with spec.nodeName set to itself`;
  }
  const labels = (pod: KubeObject | null) => stringMap(pod?.metadata?.labels);
  if (!semanticEqual(labels(request.oldObject), labels(request.object))) {
    return `node ${quoted} cannot update labels through pod status`;
  }
  // Which claims a pod uses decides what the node may read; only the controller sets them.
  const claims = (pod: KubeObject | null) =>
    recordList(recordOf(pod?.status)?.resourceClaimStatuses).map((status) => [
      stringOf(status.name),
      status.resourceClaimName ?? null,
    ]);
  if (!semanticEqual(claims(request.oldObject), claims(request.object))) {
    return `node ${quoted} cannot update resource claim statues`;
  }
  return undefined;
}

function checkNode(node: string, request: AdmissionRequest): string | undefined {
  const name = requestName(request);
  if (name !== node) return `node ${goQuote(node)} is not allowed to modify node ${goQuote(name)}`;
  if (request.operation === "CREATE") return checkNodeCreate(node, request.object);
  if (request.operation === "UPDATE")
    return checkNodeUpdate(node, request.object, request.oldObject);
  return undefined;
}

function checkNodeCreate(node: string, object: KubeObject): string | undefined {
  const quoted = goQuote(node);
  // Node access is scoped by what the Node names; a config source would widen it.
  if (specOf(object).configSource != null) {
    return `node ${quoted} is not allowed to create pods with a non-nil configSource`;
  }
  const forbiddenLabels = forbiddenNodeLabels(
    modifiedLabels(stringMap(object.metadata?.labels), {}),
  );
  if (forbiddenLabels.length > 0) {
    return `node ${quoted} is not allowed to set the following labels: ${forbiddenLabels.join(", ")}`;
  }
  return undefined;
}

/** Taints, pod CIDRs and restricted labels decide what runs where: only administrators change them. */
function checkNodeUpdate(
  node: string,
  object: KubeObject,
  old: KubeObject | null,
): string | undefined {
  const quoted = goQuote(node);
  const spec = specOf(object);
  const oldSpec = specOf(old);
  if (spec.configSource != null && !semanticEqual(spec.configSource, oldSpec.configSource)) {
    return `node ${quoted} is not allowed to update configSource to a new non-nil configSource`;
  }
  if (!semanticEqual(spec.taints, oldSpec.taints)) {
    return `node ${quoted} is not allowed to modify taints`;
  }
  if (
    !semanticEqual(spec.podCIDR, oldSpec.podCIDR) ||
    !semanticEqual(spec.podCIDRs, oldSpec.podCIDRs)
  ) {
    return `node ${quoted} is not allowed to modify podCIDRs`;
  }
  const forbiddenLabels = forbiddenNodeLabels(
    modifiedLabels(stringMap(object.metadata?.labels), stringMap(old?.metadata?.labels)),
  );
  if (forbiddenLabels.length > 0) {
    return `is not allowed to modify labels: ${forbiddenLabels.join(", ")}`;
  }
  return undefined;
}

/** Status fields the kubelet reports after resizing a volume; nothing else may change. */
const claimStatusFields = [
  "capacity",
  "conditions",
  "allocatedResources",
  "allocatedResourceStatuses",
];

function checkClaim(node: string, request: AdmissionRequest): string | undefined {
  if (request.subresource !== "status") return "may only update PVC status";
  if (request.operation !== "UPDATE") return `unexpected operation ${goQuote(request.operation)}`;
  const comparable = (claim: KubeObject | null) => {
    const copy = structuredClone(claim ?? {});
    const meta = { ...copy.metadata };
    delete meta.resourceVersion;
    delete meta.managedFields;
    const status = { ...recordOf(copy.status) };
    for (const field of claimStatusFields) delete status[field];
    return { ...copy, metadata: meta, status };
  };
  const before = comparable(request.oldObject);
  const after = comparable(request.object);
  if (semanticEqual(before, after)) return undefined;
  return `node ${goQuote(node)} is not allowed to update fields other than status.capacity and status.conditions: ${describeDiff(before, after)}`;
}

function checkLeaseName(node: string, name: string, namespace: string): string | undefined {
  if (namespace !== nodeLeaseNamespace) {
    return `can only access leases in the ${goQuote(nodeLeaseNamespace)} system namespace`;
  }
  if (name !== node) return "can only access node lease with the same name as the requesting node";
  return undefined;
}

function checkLease(node: string, request: AdmissionRequest): string | undefined {
  return checkLeaseName(node, requestName(request), request.context.namespace);
}

function checkCSINodeName(node: string, name: string): string | undefined {
  if (name !== node) return "can only access CSINode with the same name as the requesting node";
  return undefined;
}

function checkCSINode(node: string, request: AdmissionRequest): string | undefined {
  return checkCSINodeName(node, requestName(request));
}

/** Why a node may not delete `object`, or undefined when it may. */
function deleteProblem(node: string, kind: ResourceRef, object: KubeObject): string | undefined {
  const name = nameOf(object);
  switch (`${kind.group}/${kind.resource}`) {
    case "/pods":
      if (nodeNameOfPod(object) === node) return undefined;
      return `node ${goQuote(node)} can only delete pods with spec.nodeName set to itself`;
    case "/nodes":
      if (name === node) return undefined;
      return `node ${goQuote(node)} is not allowed to modify node ${goQuote(name)}`;
    case "/persistentvolumeclaims":
      return "may only update PVC status";
    case "coordination.k8s.io/leases":
      return checkLeaseName(node, name, object.metadata?.namespace ?? "");
    case "storage.k8s.io/csinodes":
      return checkCSINodeName(node, name);
    default:
      return undefined;
  }
}

/**
 * The NodeRestriction rules for deletes, given the stored object: a node may
 * delete only pods bound to itself, its own Node, lease and CSINode. Throws a
 * Forbidden StatusError otherwise; does nothing for users that are not nodes.
 */
export function checkNodeDelete(user: UserInfo, kind: ResourceRef, object: KubeObject): void {
  const node = nodeNameOf(user);
  if (node === undefined) return;
  const name = nameOf(object);
  if (node === "") {
    throw denial(kind, name, `could not determine node from user ${goQuote(user.user)}`);
  }
  const message = deleteProblem(node, kind, object);
  if (message !== undefined) throw denial(kind, name, message);
}
