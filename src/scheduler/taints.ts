/**
 * Taints and tolerations as upstream's v1 helpers: a toleration with an empty key and
 * operator Exists tolerates everything; an empty effect matches every effect.
 */
import { tolerates } from "../controllers/node-selectors.ts";
import type { KubeObject } from "../resources/kind.ts";
import { nodeSpec, nodeStatus, type Taint, type Toleration } from "./types.ts";

export const TAINT_NOT_READY = "node.kubernetes.io/not-ready";
export const TAINT_UNREACHABLE = "node.kubernetes.io/unreachable";
export const TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable";

export function isTolerated(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const toleration of tolerations) if (tolerates(toleration, taint)) return true;
  return false;
}

/** The first NoSchedule or NoExecute taint no toleration covers. */
export function findUntoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): Taint | undefined {
  for (const taint of taints) {
    if (taint.effect !== "NoSchedule" && taint.effect !== "NoExecute") continue;
    if (!isTolerated(tolerations, taint)) return taint;
  }
  return undefined;
}

/**
 * The node's taints, plus not-ready (or unreachable) NoSchedule while its Ready
 * condition is not True and no such taint is set yet: what the node lifecycle
 * controller adds, so a node that never reported ready gets no pods.
 */
export function effectiveTaints(node: KubeObject): Taint[] {
  const taints = nodeSpec(node).taints ?? [];
  const ready = nodeStatus(node).conditions?.find((c) => c.type === "Ready");
  if (ready?.status === "True") return taints;
  if (taints.some((t) => t.key === TAINT_NOT_READY || t.key === TAINT_UNREACHABLE)) return taints;
  const key = ready?.status === "Unknown" ? TAINT_UNREACHABLE : TAINT_NOT_READY;
  return [...taints, { key, effect: "NoSchedule" }];
}
