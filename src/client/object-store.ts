import type { KubeObject } from "../resources/kind.ts";

/** An index function: the values an object is filed under (e.g. its namespace, its node). */
export type IndexFunction<T> = (object: T) => string[];

/** The cache key of an object: "namespace/name", or "name" when cluster-scoped (client-go's). */
export function objectKey(object: KubeObject): string {
  const { namespace, name } = object.metadata ?? {};
  return namespace ? `${namespace}/${name ?? ""}` : (name ?? "");
}

/**
 * The informer's in-memory cache, keyed by namespace/name, with optional
 * secondary indexes. JavaScript runs one task at a time, so every method is
 * atomic; callers must treat returned objects as read-only (copy before
 * changing) because the same instances are handed to every reader.
 */
export class ObjectStore<T extends KubeObject = KubeObject> {
  readonly #items = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFunction<T>>();
  /** index name → indexed value → keys */
  readonly #indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunction<T>> = { namespace: byNamespace }) {
    for (const [name, fn] of Object.entries(indexers)) {
      this.#indexers.set(name, fn);
      this.#indices.set(name, new Map());
    }
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  get size(): number {
    return this.#items.size;
  }

  /** The objects filed under `value` by the index `indexName`. */
  byIndex(indexName: string, value: string): T[] {
    const index = this.#indices.get(indexName);
    if (!index) throw new Error(`ObjectStore: no index named "${indexName}"`);
    const objects: T[] = [];
    for (const key of index.get(value) ?? []) {
      const object = this.#items.get(key);
      if (object) objects.push(object);
    }
    return objects;
  }

  /** Adds or replaces; returns the object it replaced. */
  set(object: T): T | undefined {
    const key = objectKey(object);
    const old = this.#items.get(key);
    if (old) this.#unindex(key, old);
    this.#items.set(key, object);
    this.#index(key, object);
    return old;
  }

  /** Removes by key; returns what was removed. */
  delete(key: string): T | undefined {
    const old = this.#items.get(key);
    if (!old) return undefined;
    this.#unindex(key, old);
    this.#items.delete(key);
    return old;
  }

  #index(key: string, object: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indices.get(name) as Map<string, Set<string>>;
      for (const value of fn(object)) {
        const keys = index.get(value);
        if (keys) keys.add(key);
        else index.set(value, new Set([key]));
      }
    }
  }

  #unindex(key: string, object: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indices.get(name) as Map<string, Set<string>>;
      for (const value of fn(object)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}

function byNamespace(object: KubeObject): string[] {
  return [object.metadata?.namespace ?? ""];
}
