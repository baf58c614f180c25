import type { KubeObject } from "../../resources/kind.ts";
import { recordOf, stringOf } from "../../resources/kinds/core/json-value.ts";
import type { Attributes, Authorizer, Decision, ObjectReader, ResourceRef } from "../types.ts";
import { selectorPinnedValue, selectorPins } from "./field-selector.ts";
import type { NodeGraph } from "./graph.ts";
import { nodeLeaseNamespace, nodeNameOf } from "./identity.ts";
import { persistentVolumeSecrets } from "./persistent-volumes.ts";
import type { ReferenceKind } from "./pod-references.ts";

/**
 * Attributes with the request's field selector: the server fills `fieldSelector`
 * with the raw `fieldSelector` query parameter of list and watch requests
 * (e.g. "spec.nodeName=n1"), so a node may list what is scoped to it.
 */
export type NodeAttributes = Attributes & { fieldSelector?: string };

type Rule = (node: string, attributes: NodeAttributes) => Decision;

const allow: Decision = { decision: "allow", reason: "" };
const deny = (reason: string): Decision => ({ decision: "deny", reason });
const noOpinion: Decision = { decision: "no-opinion", reason: "" };

const pvcRef: ResourceRef = { group: "", resource: "persistentvolumeclaims" };
const pvRef: ResourceRef = { group: "", resource: "persistentvolumes" };
const volumeAttachmentRef: ResourceRef = { group: "storage.k8s.io", resource: "volumeattachments" };

const noRelationship = (node: string) =>
  deny(`no relationship found between node '${node}' and this object`);

/** The object name of a request: the URL's, or for list/watch the one its selector pins. */
function objectName(attributes: NodeAttributes): string {
  return attributes.name || (selectorPinnedValue(attributes.fieldSelector, "metadata.name") ?? "");
}

/**
 * Decides what kubelets may do with the objects that hold workload data
 * (upstream's Node authorizer): a node reads secrets, config maps, claims and
 * volumes only when a pod bound to it needs them, and writes only its own Node,
 * lease, CSINode and pod statuses. Pods come from a NodeGraph the server keeps
 * current. For these resources the answer is final (allow or deny) so that a
 * broader RBAC grant cannot widen it; everything else is left to RBAC's
 * `system:node` role, and requests from non-nodes get no opinion.
 */
export class NodeAuthorizer implements Authorizer {
  private readonly rules: ReadonlyMap<string, Rule>;

  constructor(
    private readonly graph: NodeGraph,
    private readonly reader: ObjectReader,
  ) {
    this.rules = new Map<string, Rule>([
      ["/pods", (n, a) => this.authorizePod(n, a)],
      ["/secrets", (n, a) => this.authorizeRead(n, a, (name) => this.secretRelated(n, a, name))],
      [
        "/configmaps",
        (n, a) => this.authorizeRead(n, a, (name) => this.refers(n, "configmaps", a, name)),
      ],
      [
        "/persistentvolumeclaims",
        (n, a) =>
          this.authorizeGet(n, a, (name) => this.refers(n, "persistentvolumeclaims", a, name)),
      ],
      [
        "/persistentvolumes",
        (n, a) => this.authorizeGet(n, a, (name) => this.volumeRelated(n, name)),
      ],
      [
        "resource.k8s.io/resourceclaims",
        (n, a) => this.authorizeGet(n, a, (name) => this.refers(n, "resourceclaims", a, name)),
      ],
      [
        "storage.k8s.io/volumeattachments",
        (n, a) => this.authorizeGet(n, a, (name) => this.attachedTo(n, name)),
      ],
      ["/serviceaccounts", (n, a) => this.authorizeToken(n, a)],
      ["/nodes", authorizeNode],
      ["coordination.k8s.io/leases", authorizeLease],
      ["storage.k8s.io/csinodes", authorizeCSINode],
    ]);
  }

  authorize(attributes: NodeAttributes): Decision {
    const node = nodeNameOf(attributes.user);
    if (node === undefined || !attributes.resourceRequest) return noOpinion;
    const rule = this.rules.get(`${attributes.apiGroup}/${attributes.resource}`);
    if (!rule) return noOpinion;
    if (node === "") return deny(`unknown node for user "${attributes.user.user}"`);
    return rule(node, attributes);
  }

  private authorizePod(node: string, a: NodeAttributes): Decision {
    const bound = () =>
      this.related(node, a.name, () => this.graph.nodeOf(a.namespace, a.name) === node);
    switch (`${a.subresource}:${a.verb}`) {
      case ":get":
      case ":delete":
      case "status:update":
      case "status:patch":
      case "eviction:create":
        return bound();
      // Mirror pods only; NodeRestriction checks what is created.
      case ":create":
        return allow;
      case ":list":
      case ":watch":
        return this.authorizePodList(node, a);
      default:
        return deny(
          "can only get, list, watch, create and delete pods, update their status and evict them",
        );
    }
  }

  private authorizePodList(node: string, a: NodeAttributes): Decision {
    if (selectorPins(a.fieldSelector, "spec.nodeName", node)) return allow;
    const name = objectName(a);
    // A watch of one pod known to be on this node is as narrow as a get.
    if (name && this.graph.nodeOf(a.namespace, name) === node) return allow;
    return deny("can only list/watch pods with spec.nodeName field selector");
  }

  /** get, and list/watch of a single object named by the selector (the kubelet's secret and config map watches). */
  private authorizeRead(
    node: string,
    a: NodeAttributes,
    related: (name: string) => boolean,
  ): Decision {
    if (a.verb !== "get" && a.verb !== "list" && a.verb !== "watch") {
      return deny("can only read resources of this type");
    }
    if (a.subresource) return deny("cannot read subresource");
    if (!a.namespace) return deny("can only read namespaced object of this type");
    const name = objectName(a);
    return this.related(node, name, () => related(name));
  }

  private authorizeGet(
    node: string,
    a: NodeAttributes,
    related: (name: string) => boolean,
  ): Decision {
    if (a.verb !== "get") return deny("can only get individual resources of this type");
    if (a.subresource) return deny("cannot get subresource");
    return this.related(node, a.name, () => related(a.name));
  }

  private authorizeToken(node: string, a: NodeAttributes): Decision {
    if (a.verb !== "create" || !a.name) {
      return deny("can only create tokens for individual service accounts");
    }
    if (a.subresource !== "token") {
      return deny("can only create token subresource of serviceaccount");
    }
    return this.related(node, a.name, () => this.refers(node, "serviceaccounts", a, a.name));
  }

  private related(node: string, name: string, check: () => boolean): Decision {
    if (!name) return deny("No Object name found");
    return check() ? allow : noRelationship(node);
  }

  private refers(node: string, kind: ReferenceKind, a: NodeAttributes, name: string): boolean {
    return this.graph.references(node, kind, a.namespace, name);
  }

  /** A secret a pod names, or one a volume bound to a claim of the node's pods names. */
  private secretRelated(node: string, a: NodeAttributes, name: string): boolean {
    if (this.refers(node, "secrets", a, name)) return true;
    return this.boundVolumes(node).some(({ pv, claimNamespace }) =>
      persistentVolumeSecrets(pv, claimNamespace).some(
        (secret) => secret.namespace === a.namespace && secret.name === name,
      ),
    );
  }

  private volumeRelated(node: string, name: string): boolean {
    return this.graph
      .referenced(node, "persistentvolumeclaims")
      .some((claim) => this.volumeNameOf(claim.namespace, claim.name) === name);
  }

  private attachedTo(node: string, name: string): boolean {
    const attachment = this.reader.get(volumeAttachmentRef, "", name);
    return stringOf(recordOf(attachment?.spec)?.nodeName) === node;
  }

  private volumeNameOf(namespace: string, claim: string): string {
    return stringOf(recordOf(this.reader.get(pvcRef, namespace, claim)?.spec)?.volumeName);
  }

  /** The persistent volumes bound to the claims of the node's pods. */
  private boundVolumes(node: string): { pv: KubeObject; claimNamespace: string }[] {
    const volumes: { pv: KubeObject; claimNamespace: string }[] = [];
    for (const claim of this.graph.referenced(node, "persistentvolumeclaims")) {
      const volumeName = this.volumeNameOf(claim.namespace, claim.name);
      const pv = volumeName ? this.reader.get(pvRef, "", volumeName) : undefined;
      if (pv) volumes.push({ pv, claimNamespace: claim.namespace });
    }
    return volumes;
  }
}

function authorizeNode(node: string, a: NodeAttributes): Decision {
  const own = a.name === node;
  switch (`${a.subresource}:${a.verb}`) {
    case ":get":
      if (own) return allow;
      return deny(readOtherNodes(node, a.name));
    case ":list":
    case ":watch":
      if (own || selectorPins(a.fieldSelector, "metadata.name", node)) return allow;
      return deny(readOtherNodes(node, a.name));
    // The name of a create may be unknown here; NodeRestriction checks the object.
    case ":create":
      return own || !a.name ? allow : deny(`node '${node}' can only create its own Node object`);
    case ":update":
    case ":patch":
    case "status:update":
    case "status:patch":
      return own ? allow : deny(`node '${node}' can only modify its own Node object`);
    default:
      return deny(
        `node '${node}' can only get, list, watch, create, update and patch its own Node object`,
      );
  }
}

function readOtherNodes(node: string, name: string): string {
  return name
    ? `node '${node}' cannot read '${name}', only its own Node object`
    : `node '${node}' cannot read all nodes, only its own Node object`;
}

const ownObjectVerbs = new Set(["get", "create", "update", "patch", "delete"]);

function checkOwnObjectVerb(a: NodeAttributes, what: string): Decision | undefined {
  if (!ownObjectVerbs.has(a.verb))
    return deny(`can only get, create, update, patch, or delete a ${what}`);
  if (a.subresource) return deny(`cannot authorize ${what} subresources`);
  return undefined;
}

/** The object must be named after the node; a create may not name it here, NodeRestriction checks it. */
function checkOwnName(node: string, a: NodeAttributes, what: string): Decision {
  if (a.verb === "create" && !a.name) return allow;
  if (a.name !== node) {
    return deny(`can only access ${what} with the same name as the requesting node`);
  }
  return allow;
}

function authorizeLease(node: string, a: NodeAttributes): Decision {
  const badVerb = checkOwnObjectVerb(a, "node lease");
  if (badVerb) return badVerb;
  if (a.namespace !== nodeLeaseNamespace) {
    return deny(`can only access leases in the "${nodeLeaseNamespace}" system namespace`);
  }
  return checkOwnName(node, a, "node lease");
}

function authorizeCSINode(node: string, a: NodeAttributes): Decision {
  return checkOwnObjectVerb(a, "CSINode") ?? checkOwnName(node, a, "CSINode");
}
