/**
 * SchedulingGates: a pod with spec.schedulingGates is not scheduled until they are all
 * removed (the API server already set PodScheduled=False/SchedulingGated on it).
 */
import type { PreEnqueuePlugin } from "../framework.ts";
import type { PodInfo } from "../pod-info.ts";
import { Status } from "../status.ts";

export class SchedulingGates implements PreEnqueuePlugin {
  readonly name = "SchedulingGates";

  preEnqueue(pod: PodInfo): Status | undefined {
    const gates = pod.spec.schedulingGates ?? [];
    if (gates.length === 0) return undefined;
    return Status.unresolvable(
      `waiting for scheduling gates: [${gates.map((g) => g.name).join(" ")}]`,
    );
  }
}
