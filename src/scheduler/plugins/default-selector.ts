/**
 * Upstream helper.DefaultSelector: the labels that group a pod with its siblings — the
 * selectors of the Services that select it and of its controlling ReplicationController,
 * ReplicaSet or StatefulSet — for spreading constraints the pod did not state itself.
 */
import type { KubeObject } from "../../resources/kind.ts";
import {
  LabelSelector,
  type MetaV1LabelSelector,
  type Requirement,
} from "../../resources/labels/label-selector.ts";
import type { Listers } from "../handle.ts";
import type { PodInfo } from "../pod-info.ts";

const selectorMap = (object: KubeObject) =>
  (object.spec as { selector?: Record<string, string> | null } | undefined)?.selector;

export function defaultSelector(pod: PodInfo, listers: Listers): LabelSelector {
  const owners = listers.selectorsOwners(pod.namespace);
  let labels: Record<string, string> = {};
  for (const service of owners.services) {
    const selector = selectorMap(service);
    if (!selector) continue;
    if (LabelSelector.fromSet(selector).matches(pod.labels)) labels = { ...labels, ...selector };
  }
  let selector = LabelSelector.fromSet(labels);
  const owner = pod.pod.metadata?.ownerReferences?.find((ref) => ref.controller === true);
  if (!owner) return selector;
  const named = (objects: readonly KubeObject[]) =>
    objects.find((o) => o.metadata?.name === owner.name);
  const group = owner.apiVersion.includes("/") ? owner.apiVersion.split("/")[0] : "";
  if (owner.kind === "ReplicationController" && group === "") {
    const rc = named(owners.replicationControllers);
    if (rc) selector = LabelSelector.fromSet({ ...labels, ...(selectorMap(rc) ?? {}) });
  } else if ((owner.kind === "ReplicaSet" || owner.kind === "StatefulSet") && group === "apps") {
    const list = owner.kind === "ReplicaSet" ? owners.replicaSets : owners.statefulSets;
    const controller = named(list);
    if (controller) {
      try {
        const other = LabelSelector.fromObject(
          (controller.spec as { selector?: MetaV1LabelSelector } | undefined)?.selector,
        );
        selector = selector.add(...(other.requirements() as Requirement[]));
      } catch {
        // An invalid selector selects nothing extra.
      }
    }
  }
  return selector;
}
