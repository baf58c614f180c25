import type { KindDefinition, KubeObject } from "../../resources/kind.ts";

/**
 * Store keys: `/registry/<group or "core">/<resource>/<namespace>/<name>` for
 * namespaced kinds, `/registry/<group or "core">/<resource>/<name>` otherwise.
 */
export function resourcePrefix(kind: KindDefinition, namespace = ""): string {
  const base = `/registry/${kind.group || "core"}/${kind.resource}/`;
  return kind.namespaced && namespace ? `${base}${namespace}/` : base;
}

export function objectKey(kind: KindDefinition, namespace: string, name: string): string {
  return kind.namespaced
    ? `${resourcePrefix(kind, namespace)}${name}`
    : `${resourcePrefix(kind)}${name}`;
}

/**
 * The stored form omits resourceVersion: the store's revision is the truth and is
 * put back on every read.
 */
export function encodeObject(object: KubeObject): string {
  const metadata = object.metadata;
  if (!metadata || metadata.resourceVersion === undefined) return JSON.stringify(object);
  const { resourceVersion: _, ...rest } = metadata;
  return JSON.stringify({ ...object, metadata: rest });
}

export function decodeObject(value: string, revision: number): KubeObject {
  const object = JSON.parse(value) as KubeObject;
  object.metadata ??= {};
  object.metadata.resourceVersion = String(revision);
  return object;
}

/** RFC 3339 at second precision, as Kubernetes writes metav1.Time. */
export function timestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
