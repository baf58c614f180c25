/**
 * The writes the StatefulSet controller makes for one pod (upstream's
 * stateful_pod_control.go): claims before the pod, deletions, identity repairs, and
 * the events upstream words for each ("create Pod web-0 in StatefulSet web successful").
 */
import { isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, isAlreadyExists } from "./controller.ts";
import type { EventRecorder } from "./events.ts";
import {
  claimsFor,
  ordinalOf,
  POD_INDEX_LABEL,
  POD_NAME_LABEL,
  podOwnerRef,
} from "./stateful-set-pods.ts";

export class StatefulPodControl {
  readonly #client: ControllerClient;
  readonly #events: EventRecorder;
  /** The claims cache: existing claims are not created again. */
  readonly #claims: Informer;

  constructor(client: ControllerClient, events: EventRecorder, claims: Informer) {
    this.#client = client;
    this.#events = events;
    this.#claims = claims;
  }

  /** Creates the pod's missing claims, then the pod (upstream's CreateStatefulPod). */
  async createPod(templateSet: KubeObject, set: KubeObject, pod: KubeObject): Promise<void> {
    await this.createClaims(templateSet, set, pod);
    const name = pod.metadata?.name ?? "";
    try {
      await this.#client.create(
        resourcePath({ version: "v1", resource: "pods", namespace: set.metadata?.namespace }),
        pod,
      );
    } catch (error) {
      // The cache is behind: the pod exists; its add event brings the set back.
      if (isAlreadyExists(error)) return;
      this.#podEvent("create", set, name, error);
      throw error;
    }
    this.#podEvent("create", set, name);
  }

  async createClaims(templateSet: KubeObject, set: KubeObject, pod: KubeObject): Promise<void> {
    const namespace = set.metadata?.namespace ?? "";
    const podName = pod.metadata?.name ?? "";
    const errors: string[] = [];
    for (const claim of claimsFor(templateSet, ordinalOf(pod))) {
      const name = claim.metadata?.name ?? "";
      const existing = this.#claims.store.get(`${namespace}/${name}`);
      if (existing) {
        if (existing.metadata?.deletionTimestamp) errors.push(`pvc ${name} is being deleted`);
        continue;
      }
      try {
        await this.#client.create(
          resourcePath({ version: "v1", resource: "persistentvolumeclaims", namespace }),
          claim,
        );
        this.#events.event(
          set,
          "Normal",
          "SuccessfulCreate",
          `create Claim ${name} Pod ${podName} in StatefulSet ${set.metadata?.name} success`,
        );
      } catch (error) {
        if (isAlreadyExists(error)) continue;
        const message = `create Claim ${name} for Pod ${podName} in StatefulSet ${set.metadata?.name} failed error: ${(error as Error).message}`;
        this.#events.event(set, "Warning", "FailedCreate", message);
        errors.push(`failed to create PVC ${name}: ${(error as Error).message}`);
      }
    }
    if (errors.length > 0) throw new Error(errors.join("; "));
  }

  /** Claims of a pod removed by scaling down go with it (whenScaled: Delete). */
  async giveClaimsTo(set: KubeObject, pod: KubeObject): Promise<void> {
    const namespace = set.metadata?.namespace ?? "";
    for (const claim of claimsFor(set, ordinalOf(pod))) {
      const name = claim.metadata?.name ?? "";
      const existing = this.#claims.store.get(`${namespace}/${name}`);
      if (!existing) continue;
      const refs = existing.metadata?.ownerReferences ?? [];
      if (refs.some((ref) => ref.uid === pod.metadata?.uid)) continue;
      const updated = structuredClone(existing);
      updated.metadata = { ...updated.metadata, ownerReferences: [...refs, podOwnerRef(pod)] };
      await this.#client.update(
        resourcePath({ version: "v1", resource: "persistentvolumeclaims", namespace, name }),
        updated,
      );
    }
  }

  async deletePod(set: KubeObject, pod: KubeObject): Promise<void> {
    const name = pod.metadata?.name ?? "";
    try {
      await this.#client.delete(
        resourcePath({ version: "v1", resource: "pods", namespace: set.metadata?.namespace, name }),
        { preconditions: { uid: pod.metadata?.uid } },
      );
    } catch (error) {
      if (isNotFound(error)) return;
      this.#podEvent("delete", set, name, error);
      throw error;
    }
    this.#podEvent("delete", set, name);
  }

  /** Puts back identity labels a user removed (upstream's UpdateStatefulPod). */
  async fixIdentity(set: KubeObject, pod: KubeObject): Promise<void> {
    const ordinal = ordinalOf(pod);
    const name = pod.metadata?.name ?? "";
    try {
      await this.#client.patch(
        resourcePath({ version: "v1", resource: "pods", namespace: set.metadata?.namespace, name }),
        { metadata: { labels: { [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) } } },
        "merge",
      );
    } catch (error) {
      if (isNotFound(error)) return;
      this.#podEvent("update", set, name, error);
      throw error;
    }
    this.#podEvent("update", set, name);
  }

  /** Upstream's recordPodEvent wording: "create Pod web-0 in StatefulSet web successful". */
  #podEvent(verb: string, set: KubeObject, pod: string, error?: unknown): void {
    const title = verb[0]?.toUpperCase() + verb.slice(1);
    if (error === undefined) {
      this.#events.event(
        set,
        "Normal",
        `Successful${title}`,
        `${verb} Pod ${pod} in StatefulSet ${set.metadata?.name} successful`,
      );
    } else {
      this.#events.event(
        set,
        "Warning",
        `Failed${title}`,
        `${verb} Pod ${pod} in StatefulSet ${set.metadata?.name} failed error: ${(error as Error).message}`,
      );
    }
  }
}
