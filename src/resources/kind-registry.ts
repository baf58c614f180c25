import { allVerbs, type KindDefinition, type Verb } from "./kind.ts";
import { coreKinds } from "./kinds/core/index.ts";
import { groupKinds } from "./kinds/groups.ts";

/**
 * Every kind the API serves, looked up by URL (group, version, resource) or by
 * apiVersion and kind. Inconsistent definitions fail at start-up, with the kind named.
 */
export class KindRegistry {
  private readonly byResource = new Map<string, KindDefinition>();
  private readonly byKind = new Map<string, KindDefinition>();

  constructor(readonly kinds: readonly KindDefinition[]) {
    for (const kind of kinds) {
      const resourceKey = `${kind.group}/${kind.version}/${kind.resource}`;
      if (this.byResource.has(resourceKey))
        throw new Error(`kind registry: ${resourceKey} is defined twice`);
      if (kind.resource !== kind.resource.toLowerCase()) {
        throw new Error(
          `kind registry: resource ${kind.resource} of ${kind.kind} must be lower case`,
        );
      }
      this.byResource.set(resourceKey, kind);
      this.byKind.set(`${apiVersionOf(kind)}/${kind.kind}`, kind);
    }
  }

  resource(group: string, version: string, resource: string): KindDefinition | undefined {
    return this.byResource.get(`${group}/${version}/${resource}`);
  }

  kind(apiVersion: string, kind: string): KindDefinition | undefined {
    return this.byKind.get(`${apiVersion}/${kind}`);
  }

  /** Whether `group/version` is served at all (for 404s on unknown paths). */
  hasGroupVersion(group: string, version: string): boolean {
    return this.kinds.some((k) => k.group === group && k.version === version);
  }
}

export function apiVersionOf(kind: KindDefinition): string {
  return kind.group ? `${kind.group}/${kind.version}` : kind.version;
}

export function verbsOf(kind: KindDefinition): readonly Verb[] {
  return kind.verbs ?? allVerbs;
}

/** The built-in kinds. */
export function builtinKinds(): KindRegistry {
  return new KindRegistry([...coreKinds, ...groupKinds]);
}
