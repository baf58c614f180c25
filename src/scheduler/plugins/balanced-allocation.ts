/**
 * NodeResourcesBalancedAllocation: favours nodes whose cpu and memory would be used in
 * similar proportions with the pod on them: score = (1 − standard deviation of the
 * requested/allocatable fractions) × 100. Best-effort pods are not scored (upstream
 * #129138: they would all pile onto one node).
 */
import {
  type CycleState,
  MAX_NODE_SCORE,
  type PreScorePlugin,
  type ScorePlugin,
} from "../framework.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodInfo } from "../pod-info.ts";
import { Status } from "../status.ts";
import { AllocationScorer, DEFAULT_RESOURCES, type ResourceSpec } from "./node-resources-fit.ts";

export interface BalancedAllocationArgs {
  resources?: ResourceSpec[];
}

export function balancedScore(
  requested: Float64Array,
  allocatable: Float64Array,
  _weights: Float64Array,
  count: number,
): number {
  let total = 0;
  const fractions: number[] = [];
  for (let i = 0; i < count; i++) {
    const fraction = Math.min(1, (requested[i] as number) / (allocatable[i] as number));
    total += fraction;
    fractions.push(fraction);
  }
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs(((fractions[0] as number) - (fractions[1] as number)) / 2);
  } else if (fractions.length > 2) {
    const mean = total / fractions.length;
    let sum = 0;
    for (const fraction of fractions) sum += (fraction - mean) * (fraction - mean);
    std = Math.sqrt(sum / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = "NodeResourcesBalancedAllocation";
  readonly #resources: readonly ResourceSpec[];
  readonly #scorer: AllocationScorer;

  constructor(args: BalancedAllocationArgs = {}) {
    this.#resources = args.resources ?? DEFAULT_RESOURCES;
    this.#scorer = new AllocationScorer(this.#resources, true, balancedScore);
  }

  preScore(_state: CycleState, pod: PodInfo): Status | undefined {
    const requests = pod.requests;
    const bestEffort = this.#resources.every((r) => {
      if (r.name === "cpu") return requests.milliCPU === 0;
      if (r.name === "memory") return requests.memory === 0;
      if (r.name === "ephemeral-storage") return requests.ephemeralStorage === 0;
      return requests.getScalar(r.name) === 0;
    });
    return bestEffort ? Status.skip : undefined;
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    return this.#scorer.score(pod, node);
  }
}
