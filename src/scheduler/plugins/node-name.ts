/** NodeName: a pod that names its node (spec.nodeName) fits only that node. */
import { Action, type ClusterEvent, event } from "../cluster-events.ts";
import type { CycleState, FilterPlugin } from "../framework.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodInfo } from "../pod-info.ts";
import { Status } from "../status.ts";

export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";
const rejected = Status.unresolvable(ERR_REASON_NODE_NAME);

export class NodeName implements FilterPlugin {
  readonly name = "NodeName";

  eventsToRegister(): ClusterEvent[] {
    return [event("Node", Action.Add, "Node")];
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const wanted = pod.spec.nodeName;
    return !wanted || wanted === node.name ? undefined : rejected;
  }
}
