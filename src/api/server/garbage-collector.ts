import type { Logger } from "../../log/logger.ts";
import type {
  KindDefinition,
  KubeObject,
  OwnerReference,
  RequestContext,
} from "../../resources/kind.ts";
import type { KindRegistry } from "../../resources/kind-registry.ts";
import { StatusError } from "../errors/status-error.ts";
import type { ResourceRegistry } from "../registry/resource-registry.ts";
import { PeriodicTask } from "./periodic-task.ts";

/** How often the object graph is swept. */
const sweepMs = 1000;

const system: RequestContext = {
  user: "system:serviceaccount:kube-system:generic-garbage-collector",
  groups: ["system:masters"],
  namespace: "",
  dryRun: false,
};

interface Node {
  kind: KindDefinition;
  object: KubeObject;
}

/**
 * Owner-reference garbage collection with upstream's three propagation policies:
 * dependents of a deleted owner are deleted (Background); an owner marked with
 * the `foregroundDeletion` finalizer waits until its dependents are gone; one
 * marked `orphan` has its dependents' owner references removed first. This is the
 * garbage collector controller's job; it runs in the API server, reading the
 * watch caches, until the controller manager takes it over.
 */
export class GarbageCollector {
  private readonly task: PeriodicTask;

  constructor(
    private readonly kinds: KindRegistry,
    private readonly registry: (kind: KindDefinition) => ResourceRegistry,
    log: Logger,
    runIf?: () => boolean,
  ) {
    this.task = new PeriodicTask(() => this.sweep(), sweepMs, log, "garbage collection", runIf);
  }

  start(): void {
    this.task.start();
  }

  stop(): void {
    this.task.stop();
  }

  private async sweep(): Promise<void> {
    const nodes: Node[] = [];
    for (const kind of this.kinds.kinds) {
      if (!(kind.verbs ?? ["list"]).includes("list")) continue;
      const cache = this.registry(kind).cache;
      await cache.start();
      for (const object of cache.list().objects) nodes.push({ kind, object });
    }
    const byUid = new Map<string, Node>();
    const dependents = new Map<string, Node[]>();
    for (const node of nodes) {
      const uid = node.object.metadata?.uid;
      if (uid) byUid.set(uid, node);
      for (const owner of node.object.metadata?.ownerReferences ?? []) {
        const list = dependents.get(owner.uid) ?? [];
        list.push(node);
        dependents.set(owner.uid, list);
      }
    }
    for (const node of nodes) {
      const meta = node.object.metadata ?? {};
      const finalizers = meta.finalizers ?? [];
      if (meta.deletionTimestamp && finalizers.includes("orphan")) {
        await this.orphan(node, dependents.get(meta.uid ?? "") ?? []);
      } else if (meta.deletionTimestamp && finalizers.includes("foregroundDeletion")) {
        await this.foreground(node, dependents.get(meta.uid ?? "") ?? []);
      }
      const owners = meta.ownerReferences ?? [];
      if (
        owners.length > 0 &&
        !meta.deletionTimestamp &&
        owners.every((o) => this.isGone(o, node, byUid))
      ) {
        await this.remove(node);
      }
    }
  }

  /** An owner is gone when nothing with its uid exists (owners live in the same namespace or are cluster-scoped). */
  private isGone(owner: OwnerReference, dependent: Node, byUid: Map<string, Node>): boolean {
    const found = byUid.get(owner.uid);
    if (!found) return true;
    if (
      found.kind.namespaced &&
      found.object.metadata?.namespace !== dependent.object.metadata?.namespace
    )
      return true;
    return false;
  }

  private async orphan(owner: Node, dependents: Node[]): Promise<void> {
    const uid = owner.object.metadata?.uid;
    for (const dependent of dependents) {
      await this.modify(dependent, (object) => {
        const meta = object.metadata ?? {};
        meta.ownerReferences = (meta.ownerReferences ?? []).filter((o) => o.uid !== uid);
        if (meta.ownerReferences.length === 0) delete meta.ownerReferences;
        return object;
      });
    }
    await this.dropFinalizer(owner, "orphan");
  }

  private async foreground(owner: Node, dependents: Node[]): Promise<void> {
    if (dependents.length === 0) {
      await this.dropFinalizer(owner, "foregroundDeletion");
      return;
    }
    for (const dependent of dependents) {
      if (!dependent.object.metadata?.deletionTimestamp) await this.remove(dependent, "Foreground");
    }
  }

  private async remove(
    node: Node,
    policy: "Background" | "Foreground" = "Background",
  ): Promise<void> {
    const meta = node.object.metadata ?? {};
    try {
      await this.registry(node.kind).delete(
        { ...system, namespace: meta.namespace ?? "" },
        meta.name ?? "",
        {
          dryRun: false,
          propagationPolicy: policy,
          preconditions: { uid: meta.uid },
        },
      );
    } catch (error) {
      if (!(error instanceof StatusError && (error.code === 404 || error.code === 409)))
        throw error;
    }
  }

  private async dropFinalizer(node: Node, finalizer: string): Promise<void> {
    await this.modify(node, (object) => {
      const meta = object.metadata ?? {};
      meta.finalizers = (meta.finalizers ?? []).filter((f) => f !== finalizer);
      return object;
    });
  }

  private async modify(node: Node, change: (object: KubeObject) => KubeObject): Promise<void> {
    const meta = node.object.metadata ?? {};
    try {
      await this.registry(node.kind).modify(
        { ...system, namespace: meta.namespace ?? "" },
        meta.name ?? "",
        change,
        {
          dryRun: false,
        },
      );
    } catch (error) {
      if (!(error instanceof StatusError && error.code === 404)) throw error;
    }
  }
}
