import type { KubeObject } from "../../resources/kind.ts";
import { recordOf, stringOf } from "../../resources/kinds/core/json-value.ts";
import { podReferences, type ReferenceKind, referenceKinds } from "./pod-references.ts";

/** A namespaced object's name. */
export interface ObjectName {
  namespace: string;
  name: string;
}

/** What the graph remembers of a bound pod, to undo exactly its contribution later. */
interface PodEntry {
  node: string;
  namespace: string;
  references: ReadonlyMap<ReferenceKind, readonly string[]>;
}

/** Per node: how many of its pods refer to each object ("namespace/name"), by kind. */
type ReferenceCounts = Map<ReferenceKind, Map<string, number>>;

const key = (namespace: string, name: string) => `${namespace}/${name}`;

function splitKey(value: string): ObjectName {
  const slash = value.indexOf("/");
  return { namespace: value.slice(0, slash), name: value.slice(slash + 1) };
}

/**
 * Which pods run on which node and which objects those pods refer to, so the
 * node authorizer answers in constant time instead of scanning every pod. The
 * server keeps it current by calling podAdded/podUpdated/podDeleted from its
 * pod watch-cache listener; every call replaces the pod's previous
 * contribution, so repeated or out-of-order add/update calls are harmless.
 * Reference counts let two pods on a node share a secret: the node keeps
 * access until the last of them is gone.
 */
export class NodeGraph {
  private readonly pods = new Map<string, PodEntry>();
  private readonly podsByNode = new Map<string, Set<string>>();
  private readonly referencesByNode = new Map<string, ReferenceCounts>();

  /** A graph of the given pods (the watch cache's contents at start-up). */
  static fromPods(pods: Iterable<KubeObject>): NodeGraph {
    const graph = new NodeGraph();
    for (const pod of pods) graph.podAdded(pod);
    return graph;
  }

  podAdded(pod: KubeObject): void {
    this.podUpdated(pod);
  }

  podUpdated(pod: KubeObject): void {
    const namespace = pod.metadata?.namespace ?? "";
    const name = pod.metadata?.name ?? "";
    if (!name) return;
    this.forget(key(namespace, name));
    const node = stringOf(recordOf(pod.spec)?.nodeName);
    // Unscheduled pods give no node anything.
    if (node) this.remember(key(namespace, name), node, namespace, pod);
  }

  podDeleted(pod: KubeObject): void {
    this.forget(key(pod.metadata?.namespace ?? "", pod.metadata?.name ?? ""));
  }

  /** The node a pod is bound to, if the graph knows the pod. */
  nodeOf(namespace: string, name: string): string | undefined {
    return this.pods.get(key(namespace, name))?.node;
  }

  /** The pods bound to a node. */
  podsOn(node: string): ObjectName[] {
    return [...(this.podsByNode.get(node) ?? [])].map(splitKey);
  }

  /** Whether some pod bound to `node` refers to the object. */
  references(node: string, kind: ReferenceKind, namespace: string, name: string): boolean {
    return (this.referencesByNode.get(node)?.get(kind)?.get(key(namespace, name)) ?? 0) > 0;
  }

  /** Every object of a kind that pods bound to `node` refer to. */
  referenced(node: string, kind: ReferenceKind): ObjectName[] {
    return [...(this.referencesByNode.get(node)?.get(kind)?.keys() ?? [])].map(splitKey);
  }

  private remember(podKey: string, node: string, namespace: string, pod: KubeObject): void {
    const found = podReferences(pod);
    const references = new Map<ReferenceKind, string[]>();
    for (const kind of referenceKinds) references.set(kind, [...found[kind]]);
    this.pods.set(podKey, { node, namespace, references });
    setOf(this.podsByNode, node).add(podKey);
    this.count(node, namespace, references, 1);
  }

  private forget(podKey: string): void {
    const entry = this.pods.get(podKey);
    if (!entry) return;
    this.pods.delete(podKey);
    const pods = this.podsByNode.get(entry.node);
    pods?.delete(podKey);
    if (pods?.size === 0) this.podsByNode.delete(entry.node);
    this.count(entry.node, entry.namespace, entry.references, -1);
  }

  private count(
    node: string,
    namespace: string,
    references: ReadonlyMap<ReferenceKind, readonly string[]>,
    delta: 1 | -1,
  ): void {
    let counts = this.referencesByNode.get(node);
    if (!counts) {
      counts = new Map();
      this.referencesByNode.set(node, counts);
    }
    for (const [kind, names] of references) {
      const byName = counts.get(kind) ?? new Map<string, number>();
      counts.set(kind, byName);
      for (const name of names) {
        const next = (byName.get(key(namespace, name)) ?? 0) + delta;
        if (next > 0) byName.set(key(namespace, name), next);
        else byName.delete(key(namespace, name));
      }
      if (byName.size === 0) counts.delete(kind);
    }
    // Drop empty entries so nodes that come and go do not leak memory.
    if (counts.size === 0) this.referencesByNode.delete(node);
  }
}

function setOf<K, V>(map: Map<K, Set<V>>, mapKey: K): Set<V> {
  let set = map.get(mapKey);
  if (!set) {
    set = new Set();
    map.set(mapKey, set);
  }
  return set;
}
