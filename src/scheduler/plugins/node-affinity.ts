/**
 * NodeAffinity: the pod's nodeSelector and required node affinity filter nodes (a
 * DaemonSet pod's matchFields metadata.name narrows the search to its node up front);
 * preferred terms add their weights to the nodes they match.
 */
import { Action, type ClusterEvent, event } from "../cluster-events.ts";
import type {
  CycleState,
  FilterPlugin,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  ScorePlugin,
} from "../framework.ts";
import type { NodeInfo } from "../node-info.ts";
import { matchesTerm, RequiredNodeAffinity } from "../node-selector.ts";
import type { PodInfo } from "../pod-info.ts";
import { Status } from "../status.ts";
import type { PreferredSchedulingTerm } from "../types.ts";
import { defaultNormalizeScore } from "./normalize-score.ts";

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
const ERR_REASON_CONFLICT = "pod affinity terms conflict";
const PRE_FILTER_KEY = "PreFilterNodeAffinity";
const PRE_SCORE_KEY = "PreScoreNodeAffinity";
const rejected = Status.unresolvable(ERR_REASON_POD);

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = "NodeAffinity";

  eventsToRegister(): ClusterEvent[] {
    return [event("Node", Action.Add | Action.UpdateNodeLabel, "Node")];
  }

  preFilter(state: CycleState, pod: PodInfo): Status | PreFilterResult | undefined {
    const required = new RequiredNodeAffinity(pod.spec);
    if (required.isEmpty) return Status.skip;
    state.write(PRE_FILTER_KEY, required);
    const nodeNames = required.nodeNames();
    if (nodeNames === undefined) return undefined;
    if (nodeNames.size === 0) return Status.unresolvable(ERR_REASON_CONFLICT);
    return { nodeNames };
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status | undefined {
    const required = state.read<RequiredNodeAffinity>(PRE_FILTER_KEY);
    if (!required || !node.node) return undefined;
    return required.matches(node.node) ? undefined : rejected;
  }

  preScore(state: CycleState, pod: PodInfo): Status | undefined {
    const preferred =
      pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    const terms = preferred.filter((t) => t.weight !== 0);
    if (terms.length === 0) return Status.skip;
    state.write(PRE_SCORE_KEY, terms);
    return undefined;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const terms = state.read<PreferredSchedulingTerm[]>(PRE_SCORE_KEY) ?? [];
    let score = 0;
    if (!node.node) return 0;
    for (const term of terms) if (matchesTerm(term.preference, node.node)) score += term.weight;
    return score;
  }

  normalizeScore(_s: CycleState, _p: PodInfo, _n: readonly NodeInfo[], scores: Float64Array) {
    defaultNormalizeScore(scores, false);
  }
}
