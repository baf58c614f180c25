/**
 * NodeResourcesFit: the pod's requests (init-container rule, sidecars, overhead) must fit
 * in what the node has left, and the node must take one more pod. A request larger than
 * the whole node is UnschedulableAndUnresolvable, so preemption does not try there.
 * Scoring follows the configured strategy: LeastAllocated (default), MostAllocated or
 * RequestedToCapacityRatio, over cpu and memory by default.
 */
import { Action, type ClusterEvent, event } from "../cluster-events.ts";
import {
  type CycleState,
  type FilterPlugin,
  MAX_NODE_SCORE,
  type PreFilterPlugin,
  type ScorePlugin,
} from "../framework.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodInfo } from "../pod-info.ts";
import { isExtendedResourceName } from "../resources.ts";
import { Code, Status } from "../status.ts";

export interface ResourceSpec {
  name: string;
  weight: number;
}

export interface UtilizationShapePoint {
  utilization: number;
  score: number;
}

export interface NodeResourcesFitArgs {
  ignoredResources?: string[];
  ignoredResourceGroups?: string[];
  scoringStrategy?: {
    type?: "LeastAllocated" | "MostAllocated" | "RequestedToCapacityRatio";
    resources?: ResourceSpec[];
    requestedToCapacityRatio?: { shape: UtilizationShapePoint[] };
  };
}

export const DEFAULT_RESOURCES: ResourceSpec[] = [
  { name: "cpu", weight: 1 },
  { name: "memory", weight: 1 },
];

/** Every insufficient resource of the pod on the node (empty: it fits). */
export function insufficientResources(
  pod: PodInfo,
  node: NodeInfo,
  ignored: (name: string) => boolean = () => false,
): { reasons: string[]; unresolvable: boolean } {
  const reasons: string[] = [];
  let unresolvable = false;
  const allocatable = node.allocatable;
  const requested = node.requested;
  if (node.pods.length + 1 > allocatable.pods) reasons.push("Too many pods");
  const want = pod.requests;
  const check = (name: string, request: number, capacity: number, used: number) => {
    if (request > 0 && request > capacity - used) {
      reasons.push(`Insufficient ${name}`);
      if (request > capacity) unresolvable = true;
    }
  };
  check("cpu", want.milliCPU, allocatable.milliCPU, requested.milliCPU);
  check("memory", want.memory, allocatable.memory, requested.memory);
  check(
    "ephemeral-storage",
    want.ephemeralStorage,
    allocatable.ephemeralStorage,
    requested.ephemeralStorage,
  );
  if (want.scalar) {
    for (const [name, request] of want.scalar) {
      if (request === 0 || (isExtendedResourceName(name) && ignored(name))) continue;
      check(name, request, allocatable.getScalar(name), requested.getScalar(name));
    }
  }
  return { reasons, unresolvable };
}

function allocatableOf(node: NodeInfo, name: string): number {
  switch (name) {
    case "cpu":
      return node.allocatable.milliCPU;
    case "memory":
      return node.allocatable.memory;
    case "ephemeral-storage":
      return node.allocatable.ephemeralStorage;
    default:
      return node.allocatable.getScalar(name);
  }
}

/** What the node would have requested with the pod on it. */
function requestedWith(pod: PodInfo, node: NodeInfo, name: string, useRequested: boolean): number {
  switch (name) {
    case "cpu":
      return useRequested
        ? node.requested.milliCPU + pod.requests.milliCPU
        : node.nonZeroMilliCPU + pod.nonZeroMilliCPU;
    case "memory":
      return useRequested
        ? node.requested.memory + pod.requests.memory
        : node.nonZeroMemory + pod.nonZeroMemory;
    case "ephemeral-storage":
      return node.requested.ephemeralStorage + pod.requests.ephemeralStorage;
    default:
      return node.requested.getScalar(name) + pod.requests.getScalar(name);
  }
}

/** Scores requested against allocatable per resource (`count` entries are valid). */
export type ResourceScorer = (
  requested: Float64Array,
  allocatable: Float64Array,
  weights: Float64Array,
  count: number,
) => number;

/**
 * Upstream resourceAllocationScorer: per configured resource the node has (an extended
 * resource only when the pod asks for it), the requested and allocatable amounts go to
 * the scorer. The buffers are reused: scoring runs once per node per pod.
 */
export class AllocationScorer {
  readonly #requested: Float64Array;
  readonly #allocatable: Float64Array;
  readonly #weights: Float64Array;

  constructor(
    readonly resources: readonly ResourceSpec[],
    readonly useRequested: boolean,
    readonly scorer: ResourceScorer,
  ) {
    this.#requested = new Float64Array(resources.length);
    this.#allocatable = new Float64Array(resources.length);
    this.#weights = new Float64Array(resources.length);
  }

  score(pod: PodInfo, node: NodeInfo): number {
    let count = 0;
    for (const resource of this.resources) {
      const name = resource.name;
      const isNative = name === "cpu" || name === "memory" || name === "ephemeral-storage";
      if (!isNative && pod.requests.getScalar(name) === 0) continue;
      const allocatable = allocatableOf(node, name);
      if (allocatable === 0) continue;
      this.#allocatable[count] = allocatable;
      this.#requested[count] = requestedWith(pod, node, name, this.useRequested);
      this.#weights[count] = resource.weight;
      count++;
    }
    return this.scorer(this.#requested, this.#allocatable, this.#weights, count);
  }
}

const leastRequested = (requested: number, capacity: number) =>
  capacity === 0 || requested > capacity
    ? 0
    : Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);

const mostRequested = (requested: number, capacity: number) =>
  capacity === 0 ? 0 : Math.trunc((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity);

function weightedScorer(perResource: (requested: number, capacity: number) => number) {
  return (requested: Float64Array, allocatable: Float64Array, weights: Float64Array, n: number) => {
    let score = 0;
    let weightSum = 0;
    for (let i = 0; i < n; i++) {
      const weight = weights[i] as number;
      score += perResource(requested[i] as number, allocatable[i] as number) * weight;
      weightSum += weight;
    }
    return weightSum === 0 ? 0 : Math.trunc(score / weightSum);
  };
}

/** Upstream's broken linear function over utilization 0–100, scores scaled to 0–100. */
function requestedToCapacityRatioScorer(shape: readonly UtilizationShapePoint[]) {
  const points = shape.map((p) => ({ utilization: p.utilization, score: p.score * 10 }));
  const at = (utilization: number): number => {
    for (let i = 0; i < points.length; i++) {
      const point = points[i] as UtilizationShapePoint;
      if (utilization <= point.utilization) {
        if (i === 0) return point.score;
        const previous = points[i - 1] as UtilizationShapePoint;
        return (
          previous.score +
          Math.trunc(
            ((point.score - previous.score) * (utilization - previous.utilization)) /
              (point.utilization - previous.utilization),
          )
        );
      }
    }
    return points[points.length - 1]?.score ?? 0;
  };
  return (requested: Float64Array, allocatable: Float64Array, weights: Float64Array, n: number) => {
    let score = 0;
    let weightSum = 0;
    for (let i = 0; i < n; i++) {
      const req = requested[i] as number;
      const alloc = allocatable[i] as number;
      const resourceScore = req > alloc ? at(100) : at(Math.trunc((req * 100) / alloc));
      if (resourceScore > 0) {
        score += resourceScore * (weights[i] as number);
        weightSum += weights[i] as number;
      }
    }
    return weightSum === 0 ? 0 : Math.round(score / weightSum);
  };
}

export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, ScorePlugin {
  readonly name = "NodeResourcesFit";
  readonly #ignored: (name: string) => boolean;
  readonly #scorer: AllocationScorer;

  constructor(args: NodeResourcesFitArgs = {}) {
    const ignoredResources = new Set(args.ignoredResources ?? []);
    const ignoredGroups = new Set(args.ignoredResourceGroups ?? []);
    this.#ignored = (name) =>
      ignoredResources.has(name) || ignoredGroups.has(name.split("/")[0] ?? "");
    const strategy = args.scoringStrategy ?? {};
    let scorer: ResourceScorer;
    switch (strategy.type ?? "LeastAllocated") {
      case "MostAllocated":
        scorer = weightedScorer(mostRequested);
        break;
      case "RequestedToCapacityRatio":
        scorer = requestedToCapacityRatioScorer(strategy.requestedToCapacityRatio?.shape ?? []);
        break;
      default:
        scorer = weightedScorer(leastRequested);
    }
    this.#scorer = new AllocationScorer(strategy.resources ?? DEFAULT_RESOURCES, false, scorer);
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      event("Pod", Action.Delete | Action.UpdatePodScaleDown, "AssignedPod"),
      event("Node", Action.Add | Action.UpdateNodeAllocatable, "Node"),
    ];
  }

  preFilter(): undefined {
    return undefined;
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const { reasons, unresolvable } = insufficientResources(pod, node, this.#ignored);
    if (reasons.length === 0) return undefined;
    return new Status(
      unresolvable ? Code.UnschedulableAndUnresolvable : Code.Unschedulable,
      reasons,
    );
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    return this.#scorer.score(pod, node);
  }
}
