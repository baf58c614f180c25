/**
 * ControllerRevision history shared by the DaemonSet and StatefulSet controllers
 * (upstream's pkg/controller/history): each revision holds a strategic merge patch
 * that puts back the owner's pod template (`kubectl rollout undo` applies it as is),
 * is named `<owner>-<hash>`, carries the template's labels (so `kubectl rollout
 * history` finds it by the owner's selector) and is controlled by the owner.
 */
import type { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, isAlreadyExists } from "./controller.ts";
import { BY_CONTROLLER, controllerOf, controllerRef } from "./owners.ts";

/** The label on pods naming the revision they were made from (and on DaemonSet revisions). */
export const CONTROLLER_REVISION_HASH_LABEL = "controller-revision-hash";
/** The label history.NewControllerRevision puts on the revisions it makes. */
export const REVISION_HASH_LABEL = "controller.kubernetes.io/hash";

export const CONTROLLER_REVISIONS = resourcePath({
  group: "apps",
  version: "v1",
  resource: "controllerrevisions",
});

export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision?: number;
}

export const revisionsPath = (namespace: string, name?: string) =>
  resourcePath({ group: "apps", version: "v1", resource: "controllerrevisions", namespace, name });

/** JSON with object keys sorted, so equal values print the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const SAFE_ALPHANUMERICS = "bcdfghjklmnpqrstvwxz2456789";

/**
 * Upstream's ComputeHash: FNV-32a over the value (and the collision count, when set),
 * printed in decimal and mapped onto letters and digits that spell no words.
 */
export function computeHash(value: unknown, collisionCount?: number): string {
  let text = canonicalJson(value);
  if (collisionCount !== undefined && collisionCount !== 0) text += String(collisionCount);
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return [...String(hash)]
    .map((c) => SAFE_ALPHANUMERICS[c.charCodeAt(0) % SAFE_ALPHANUMERICS.length])
    .join("");
}

/** The revision data: a patch that replaces the owner's pod template whole. */
export function templatePatch(owner: KubeObject): Record<string, unknown> {
  const spec = (owner.spec ?? {}) as { template?: Record<string, unknown> };
  return { spec: { template: { ...structuredClone(spec.template ?? {}), $patch: "replace" } } };
}

/** The template a revision restores. */
export function templateOf(revision: ControllerRevision): Record<string, unknown> | undefined {
  const data = revision.data as { spec?: { template?: Record<string, unknown> } } | undefined;
  const template = data?.spec?.template;
  if (!template) return undefined;
  const { $patch: _, ...rest } = template;
  return rest;
}

export function sameData(a: ControllerRevision, b: ControllerRevision): boolean {
  return canonicalJson(a.data) === canonicalJson(b.data);
}

/** Oldest first: by revision number, then name. */
export function sortRevisions<T extends ControllerRevision>(revisions: T[]): T[] {
  return revisions.sort(
    (a, b) =>
      (a.revision ?? 0) - (b.revision ?? 0) ||
      (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""),
  );
}

export function maxRevision(revisions: readonly ControllerRevision[]): number {
  return revisions.reduce((max, r) => Math.max(max, r.revision ?? 0), 0);
}

/** The revisions `owner` controls, from the informer's by-controller index. */
export function ownedRevisions(
  informer: Informer<ControllerRevision>,
  owner: KubeObject,
): ControllerRevision[] {
  const uid = owner.metadata?.uid ?? "";
  return informer.store
    .byIndex(BY_CONTROLLER, uid)
    .filter((r) => r.metadata?.namespace === owner.metadata?.namespace);
}

/** Upstream caps the owner's part of the name so that `-<hash>` still fits. */
export function revisionName(ownerName: string, hash: string): string {
  return `${ownerName.slice(0, 223)}-${hash}`;
}

/**
 * A revision of `owner` holding `data` (history.NewControllerRevision): named after the
 * hash of the data and the collision count, labelled with the template's labels.
 */
export function newRevision(
  owner: KubeObject,
  data: Record<string, unknown>,
  revision: number,
  collisionCount: number,
): ControllerRevision {
  const template = ((owner.spec ?? {}) as { template?: { metadata?: { labels?: object } } })
    .template;
  const hash = computeHash(data, collisionCount);
  const annotations = owner.metadata?.annotations;
  return {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      name: revisionName(owner.metadata?.name ?? "", hash),
      namespace: owner.metadata?.namespace,
      labels: { ...(template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      ...(annotations ? { annotations: { ...annotations } } : {}),
      ownerReferences: [controllerRef(owner)],
    },
    data,
    revision,
  };
}

/**
 * Creates the revision `build(collisionCount)` returns. A name already taken by a
 * revision with the same data is that revision; one taken by different data is a hash
 * collision, so the count goes up and the name changes. Returns what is stored and the
 * count to keep in the owner's status.
 */
export async function createRevision(
  client: ControllerClient,
  collisionCount: number,
  build: (collisionCount: number) => ControllerRevision,
): Promise<{ revision: ControllerRevision; collisionCount: number }> {
  // A handful of collisions in a row means something else is wrong: give up and retry later.
  for (let attempt = 0; attempt < 5; attempt++, collisionCount++) {
    const wanted = build(collisionCount);
    const namespace = wanted.metadata?.namespace ?? "";
    try {
      const created = await client.create(revisionsPath(namespace), wanted);
      return { revision: created as ControllerRevision, collisionCount };
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      const existing = (await client.get(
        revisionsPath(namespace, wanted.metadata?.name),
      )) as ControllerRevision;
      const sameOwner = controllerOf(existing)?.uid === controllerOf(wanted)?.uid;
      if (sameOwner && sameData(existing, wanted)) return { revision: existing, collisionCount };
    }
  }
  throw new Error("too many ControllerRevision name collisions");
}
