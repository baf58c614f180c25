/**
 * Claiming (upstream's ControllerRefManager): a controller adopts the orphans its
 * selector matches and releases what it controls but no longer matches, so every
 * object has at most one controller and selectors can change safely.
 */
import { ApiError, isNotFound } from "../client/api-error.ts";
import { objectKey } from "../client/object-store.ts";
import type { KubeObject } from "../resources/kind.ts";
import type { LabelSelector } from "../resources/labels/label-selector.ts";
import type { ControllerClient } from "./controller.ts";
import { controllerOf, controllerRef } from "./owners.ts";

export interface ClaimOptions<T extends KubeObject> {
  /** The controller, with apiVersion and kind set (they go into the ownerReference). */
  owner: KubeObject;
  selector: LabelSelector;
  /**
   * Reads the owner afresh and throws when it is gone or being deleted: adopting for an
   * owner a cache still shows could leave the object to a dead controller. Called once,
   * before the first adoption.
   */
  recheckOwner(): Promise<void>;
  /** Sends a patch to the object (strategic merge). */
  patch(object: T, patch: unknown): Promise<void>;
}

/**
 * A `recheckOwner` that reads `owner` at `path` and fails, with upstream's messages, when
 * it was replaced by a namesake or is being deleted.
 */
export function recheckByGet(
  client: Pick<ControllerClient, "get">,
  path: string,
  owner: KubeObject,
): () => Promise<void> {
  return async () => {
    const fresh = await client.get(path);
    const uid = owner.metadata?.uid;
    if (fresh.metadata?.uid !== uid) {
      throw new Error(
        `original ${owner.kind} ${objectKey(owner)} is gone: got uid ${fresh.metadata?.uid}, wanted ${uid}`,
      );
    }
    if (fresh.metadata?.deletionTimestamp) {
      throw new Error(
        `${objectKey(owner)} has just been deleted at ${fresh.metadata.deletionTimestamp}`,
      );
    }
  };
}

/** Makes `owner` the controller of `uid`'s object; the UID guards against a re-created namesake. */
export function adoptPatch(owner: KubeObject, uid: string): unknown {
  return { metadata: { ownerReferences: [controllerRef(owner)], uid } };
}

/** Removes `ownerUid`'s reference from `uid`'s object. */
export function releasePatch(ownerUid: string, uid: string): unknown {
  return { metadata: { ownerReferences: [{ $patch: "delete", uid: ownerUid }], uid } };
}

/** The object is gone or was replaced (its UID no longer matches): nothing to claim. */
const isGoneOrReplaced = (error: unknown) =>
  isNotFound(error) || (error instanceof ApiError && error.reason === "Invalid");

/**
 * The objects `owner` controls after adopting matching orphans and releasing
 * non-matching ones. Objects controlled by someone else are never touched; an owner
 * being deleted neither adopts nor releases. Throws the first failure after trying
 * every object, so the caller retries.
 */
export async function claimObjects<T extends KubeObject>(
  objects: readonly T[],
  options: ClaimOptions<T>,
): Promise<T[]> {
  const { owner, selector } = options;
  const ownerMeta = owner.metadata ?? {};
  const ownerDeleting = Boolean(ownerMeta.deletionTimestamp);
  const claimed: T[] = [];
  const errors: unknown[] = [];
  let recheck: Promise<void> | undefined;
  for (const object of objects) {
    const meta = object.metadata ?? {};
    const ref = controllerOf(object);
    const matches = selector.matches(meta.labels);
    try {
      if (ref) {
        if (ref.uid !== ownerMeta.uid) continue;
        if (matches) claimed.push(object);
        else if (!ownerDeleting) await options.patch(object, releasePatch(ref.uid, meta.uid ?? ""));
        continue;
      }
      if (ownerDeleting || !matches || meta.deletionTimestamp) continue;
      if (ownerMeta.namespace && meta.namespace !== ownerMeta.namespace) continue;
      recheck ??= options.recheckOwner();
      await recheck;
      await options.patch(object, adoptPatch(owner, meta.uid ?? ""));
      claimed.push(object);
    } catch (error) {
      if (!isGoneOrReplaced(error)) errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
  return claimed;
}
