import type { ObjectReader, ResourceRef } from "../../../src/auth/types.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";

const RESOURCES: Record<string, string> = {
  ServiceAccount: "serviceaccounts",
  Secret: "secrets",
  Pod: "pods",
  Node: "nodes",
};

/** An ObjectReader over a fixed array (core kinds only), for authenticator tests. */
export function memoryReader(objects: readonly KubeObject[]): ObjectReader {
  const matches = (object: KubeObject, ref: ResourceRef) =>
    ref.group === "" && RESOURCES[object.kind ?? ""] === ref.resource;
  return {
    get(ref, namespace, name) {
      return objects.find(
        (object) =>
          matches(object, ref) &&
          (object.metadata?.namespace ?? "") === namespace &&
          object.metadata?.name === name,
      );
    },
    list(ref, namespace) {
      return objects.filter(
        (object) =>
          matches(object, ref) &&
          (namespace === undefined || object.metadata?.namespace === namespace),
      );
    },
  };
}

/** A core object of `kind` with the given metadata. */
export function coreObject(
  kind: string,
  metadata: NonNullable<KubeObject["metadata"]>,
  fields: Record<string, unknown> = {},
): KubeObject {
  return { apiVersion: "v1", kind, metadata, ...fields };
}
