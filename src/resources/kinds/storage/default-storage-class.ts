/**
 * The cluster's default StorageClass: the one annotated
 * `storageclass.kubernetes.io/is-default-class: "true"` (or the beta annotation). With
 * several, the newest wins, then the first by name (upstream since 1.26).
 */
import type { KubeObject } from "../../kind.ts";

export const IS_DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";
const BETA_IS_DEFAULT_CLASS_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class";

export function isDefaultStorageClass(storageClass: KubeObject): boolean {
  const annotations = storageClass.metadata?.annotations ?? {};
  return (
    annotations[IS_DEFAULT_CLASS_ANNOTATION] === "true" ||
    annotations[BETA_IS_DEFAULT_CLASS_ANNOTATION] === "true"
  );
}

export function defaultStorageClass(classes: readonly KubeObject[]): KubeObject | undefined {
  return classes.filter(isDefaultStorageClass).sort((a, b) => {
    const ta = a.metadata?.creationTimestamp ?? "";
    const tb = b.metadata?.creationTimestamp ?? "";
    if (ta !== tb) return ta < tb ? 1 : -1;
    return (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
  })[0];
}
