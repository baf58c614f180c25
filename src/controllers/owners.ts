/**
 * Controller references (the ownerReference with controller: true) and the
 * bookkeeping controllers that create pods share: the informer index by owner,
 * and creation/deletion expectations so that a controller does not act again
 * on a cache that has not yet seen its own writes (client-go's
 * ControllerExpectations).
 */
import type { KubeObject, OwnerReference } from "../resources/kind.ts";

/** Index name under which shared informers file objects by their controller's UID. */
export const BY_CONTROLLER = "controller";

/** Index name under which shared informers file pods by the node they are bound to. */
export const BY_NODE = "nodeName";

/** Index function: the node a pod is bound to, if any. */
export function byNodeName(object: KubeObject): string[] {
  const node = (object.spec as { nodeName?: unknown } | undefined)?.nodeName;
  return typeof node === "string" && node !== "" ? [node] : [];
}

export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata?.ownerReferences?.find((ref) => ref.controller === true);
}

/** Index function: the UID of the object's controller, if any. */
export function byControllerUid(object: KubeObject): string[] {
  const ref = controllerOf(object);
  return ref ? [ref.uid] : [];
}

/** The controller reference a controller puts on what it creates. */
export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? "",
    kind: owner.kind ?? "",
    name: owner.metadata?.name ?? "",
    uid: owner.metadata?.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** True when `object` is controlled by `owner` (same UID). */
export function isControlledBy(object: KubeObject, owner: KubeObject): boolean {
  const ref = controllerOf(object);
  return ref !== undefined && ref.uid === owner.metadata?.uid;
}

/** How long an unmet expectation holds a controller back (upstream: 5 minutes). */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  adds: number;
  deletes: number;
  at: number;
}

/**
 * Per controller key, how many creations and deletions were sent but not yet
 * seen in the informer. `satisfied` is false while some are outstanding, so
 * the next sync does not count the same missing pod twice.
 */
export class Expectations {
  readonly #items = new Map<string, Expectation>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  expect(key: string, adds: number, deletes: number): void {
    this.#items.set(key, { adds, deletes, at: this.#now() });
  }

  creationObserved(key: string): void {
    const e = this.#items.get(key);
    if (e && e.adds > 0) e.adds--;
  }

  deletionObserved(key: string): void {
    const e = this.#items.get(key);
    if (e && e.deletes > 0) e.deletes--;
  }

  /** A create that failed will never be observed: stop waiting for it. */
  creationFailed(key: string): void {
    this.creationObserved(key);
  }

  deletionFailed(key: string): void {
    this.deletionObserved(key);
  }

  satisfied(key: string): boolean {
    const e = this.#items.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes <= 0) return true;
    return this.#now() - e.at > EXPECTATIONS_TIMEOUT_MS;
  }

  delete(key: string): void {
    this.#items.delete(key);
  }
}

interface PodTemplate {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec?: Record<string, unknown>;
}

/**
 * A pod built from a workload's template: the template's labels, annotations
 * and spec, a generated name after the owner, and the owner as controller.
 */
export function podFromTemplate(
  template: PodTemplate | undefined,
  owner: KubeObject,
  overrides: { name?: string; generateName?: string; labels?: Record<string, string> } = {},
): KubeObject {
  const meta = template?.metadata ?? {};
  const name = overrides.name;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...(name ? { name } : { generateName: overrides.generateName ?? `${owner.metadata?.name}-` }),
      namespace: owner.metadata?.namespace,
      labels: { ...(meta.labels ?? {}), ...(overrides.labels ?? {}) },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [controllerRef(owner)],
    },
    spec: structuredClone(template?.spec ?? {}),
  };
}
