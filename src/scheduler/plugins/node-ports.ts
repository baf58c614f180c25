/**
 * NodePorts: a pod's host ports must be free on the node. A port bound on 0.0.0.0
 * conflicts with the same protocol and port on any address; otherwise only the same
 * address conflicts.
 */
import { Action, type ClusterEvent, event } from "../cluster-events.ts";
import type { CycleState, FilterPlugin, PreFilterPlugin } from "../framework.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodInfo } from "../pod-info.ts";
import { Status } from "../status.ts";

export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
const rejected = Status.unschedulable(ERR_REASON_PORTS);

export class NodePorts implements PreFilterPlugin, FilterPlugin {
  readonly name = "NodePorts";

  eventsToRegister(): ClusterEvent[] {
    return [event("Pod", Action.Delete, "AssignedPod"), event("Node", Action.Add, "Node")];
  }

  preFilter(_state: CycleState, pod: PodInfo): Status | undefined {
    return pod.hostPorts.length === 0 ? Status.skip : undefined;
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    if (node.usedPorts.size === 0) return undefined;
    for (const port of pod.hostPorts) if (node.usedPorts.conflicts(port)) return rejected;
    return undefined;
  }
}
