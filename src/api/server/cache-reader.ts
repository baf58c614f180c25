import type { ObjectReader, ResourceRef } from "../../auth/types.ts";
import type { KindDefinition, KubeObject } from "../../resources/kind.ts";
import type { KindRegistry } from "../../resources/kind-registry.ts";
import { objectKey } from "../registry/object-codec.ts";
import type { ResourceRegistry } from "../registry/resource-registry.ts";

/**
 * The cluster's current objects as authorizers and admission plugins read them:
 * straight from the watch caches (as upstream's informers), without a query.
 */
export class CacheReader implements ObjectReader {
  private readonly kinds = new Map<string, KindDefinition | null>();

  constructor(
    private readonly registry: KindRegistry,
    private readonly registryOf: (kind: KindDefinition) => ResourceRegistry,
  ) {}

  get(ref: ResourceRef, namespace: string, name: string): KubeObject | undefined {
    const kind = this.kindOf(ref);
    if (!kind) return undefined;
    return this.registryOf(kind).cache.get(objectKey(kind, kind.namespaced ? namespace : "", name));
  }

  list(ref: ResourceRef, namespace?: string): readonly KubeObject[] {
    const kind = this.kindOf(ref);
    if (!kind) return [];
    const { objects } = this.registryOf(kind).cache.list();
    if (namespace === undefined || !kind.namespaced) return objects;
    return objects.filter((object) => object.metadata?.namespace === namespace);
  }

  private kindOf(ref: ResourceRef): KindDefinition | undefined {
    const id = `${ref.group}/${ref.resource}`;
    let kind = this.kinds.get(id);
    if (kind === undefined) {
      kind =
        this.registry.kinds.find(
          (k) => k.group === ref.group && k.resource === ref.resource && !k.virtual,
        ) ?? null;
      this.kinds.set(id, kind);
    }
    return kind ?? undefined;
  }
}
