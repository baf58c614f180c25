/**
 * TaintToleration: a node with a NoSchedule or NoExecute taint the pod does not tolerate
 * is filtered out; among the rest, fewer untolerated PreferNoSchedule taints score
 * higher.
 */
import { Action, type ClusterEvent, event } from "../cluster-events.ts";
import type { CycleState, FilterPlugin, PreScorePlugin, ScorePlugin } from "../framework.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodInfo } from "../pod-info.ts";
import { Status } from "../status.ts";
import { findUntoleratedTaint, isTolerated } from "../taints.ts";
import type { Toleration } from "../types.ts";
import { defaultNormalizeScore } from "./normalize-score.ts";

const PRE_SCORE_KEY = "PreScoreTaintToleration";

export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = "TaintToleration";

  eventsToRegister(): ClusterEvent[] {
    return [event("Node", Action.Add | Action.UpdateNodeTaint, "Node")];
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    if (node.taints.length === 0) return undefined;
    const taint = findUntoleratedTaint(node.taints, pod.spec.tolerations ?? []);
    if (!taint) return undefined;
    return Status.unresolvable(
      `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`,
    );
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status | undefined {
    // No candidate has a PreferNoSchedule taint: every node would score the same.
    if (!nodes.some((node) => node.taints.some((t) => t.effect === "PreferNoSchedule"))) {
      return Status.skip;
    }
    const tolerations = (pod.spec.tolerations ?? []).filter(
      (t) => !t.effect || t.effect === "PreferNoSchedule",
    );
    state.write(PRE_SCORE_KEY, tolerations);
    return undefined;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const tolerations = state.read<Toleration[]>(PRE_SCORE_KEY) ?? [];
    let untolerated = 0;
    for (const taint of node.taints) {
      if (taint.effect === "PreferNoSchedule" && !isTolerated(tolerations, taint)) untolerated++;
    }
    return untolerated;
  }

  normalizeScore(_s: CycleState, _p: PodInfo, _n: readonly NodeInfo[], scores: Float64Array) {
    defaultNormalizeScore(scores, true);
  }
}
