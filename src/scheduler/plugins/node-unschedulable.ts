/**
 * NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods that tolerate
 * the node.kubernetes.io/unschedulable:NoSchedule taint.
 */
import { Action, type ClusterEvent, event } from "../cluster-events.ts";
import type { CycleState, FilterPlugin } from "../framework.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodInfo } from "../pod-info.ts";
import { Status } from "../status.ts";
import { isTolerated, TAINT_UNSCHEDULABLE } from "../taints.ts";

export const ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable";
const rejected = Status.unresolvable(ERR_REASON_UNSCHEDULABLE);
const unschedulableTaint = { key: TAINT_UNSCHEDULABLE, effect: "NoSchedule" };

export class NodeUnschedulable implements FilterPlugin {
  readonly name = "NodeUnschedulable";

  eventsToRegister(): ClusterEvent[] {
    return [event("Node", Action.Add | Action.UpdateNodeTaint, "Node")];
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    if (!node.unschedulable) return undefined;
    return isTolerated(pod.spec.tolerations ?? [], unschedulableTaint) ? undefined : rejected;
  }
}
