import type { Logger } from "../../log/logger.ts";
import type { KindDefinition, KubeObject, RequestContext } from "../../resources/kind.ts";
import type { KindRegistry } from "../../resources/kind-registry.ts";
import { listObjects } from "../registry/list-objects.ts";
import type { ResourceRegistry } from "../registry/resource-registry.ts";
import { PeriodicTask } from "./periodic-task.ts";

/** How often terminating namespaces are looked at again while their content drains. */
const retryMs = 1000;

const system: RequestContext = {
  user: "system:namespace-controller",
  groups: ["system:masters"],
  namespace: "",
  dryRun: false,
};

/**
 * Finishes namespace deletion: deletes everything in a terminating namespace,
 * then clears its `kubernetes` finalizer so the namespace itself goes. This is
 * the namespace controller's job; it runs inside the API server until the
 * controller manager takes it over.
 */
export class NamespaceFinalizer {
  private readonly task: PeriodicTask;

  constructor(
    private readonly kinds: KindRegistry,
    private readonly registry: (kind: KindDefinition) => ResourceRegistry,
    private readonly log: Logger,
    runIf?: () => boolean,
  ) {
    this.task = new PeriodicTask(() => this.sweep(), retryMs, log, "namespace cleanup", runIf);
  }

  start(): void {
    this.task.start();
  }

  stop(): void {
    this.task.stop();
  }

  private async sweep(): Promise<void> {
    const namespaces = this.kinds.resource("", "v1", "namespaces");
    if (!namespaces) return;
    const registry = this.registry(namespaces);
    await registry.cache.start();
    const terminating = registry.cache
      .list()
      .objects.filter((ns) => ns.metadata?.deletionTimestamp);
    for (const namespace of terminating) await this.finalize(registry, namespace);
  }

  private async finalize(namespaces: ResourceRegistry, namespace: KubeObject): Promise<void> {
    const name = namespace.metadata?.name ?? "";
    let remaining = 0;
    for (const kind of this.kinds.kinds) {
      if (kind.virtual || !kind.namespaced || !(kind.verbs ?? ["list"]).includes("list")) continue;
      const registry = this.registry(kind);
      const { items } = await listObjects(registry, name, { predicate: null });
      for (const object of items) {
        remaining++;
        if (object.metadata?.deletionTimestamp) continue;
        await registry
          .delete({ ...system, namespace: name }, object.metadata?.name ?? "", {
            dryRun: false,
            gracePeriodSeconds: 0,
          })
          .catch(() => {});
      }
    }
    if (remaining > 0) return;
    await namespaces.modify(
      system,
      name,
      (ns) => ({ ...ns, spec: { ...(ns.spec as object), finalizers: [] } }),
      {
        dryRun: false,
        subresource: "finalize",
      },
    );
    this.log.info("namespace deleted", { namespace: name });
  }
}
