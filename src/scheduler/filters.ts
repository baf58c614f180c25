/**
 * The scheduler's filters and scoring (upstream's default plugins, pared down):
 * pure functions over Pod and Node objects, so they test without a cluster.
 */
import type { KubeObject } from "../resources/kind.ts";
import { parseQuantity } from "../resources/quantity/quantity.ts";

export const DEFAULT_SCHEDULER = "default-scheduler";

interface Container {
  resources?: { requests?: Record<string, string> };
  restartPolicy?: string;
}
interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}
interface Taint {
  key: string;
  value?: string;
  effect: string;
}
interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}
interface SelectorTerm {
  matchExpressions?: Requirement[];
  matchFields?: Requirement[];
}
export interface PodSpec {
  nodeName?: string;
  schedulerName?: string;
  priority?: number;
  nodeSelector?: Record<string, string>;
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: SelectorTerm[] };
    };
  };
  tolerations?: Toleration[];
  containers?: Container[];
  initContainers?: Container[];
  overhead?: Record<string, string>;
}
interface NodeSpec {
  unschedulable?: boolean;
  taints?: Taint[];
}
interface NodeStatus {
  allocatable?: Record<string, string>;
  conditions?: { type?: string; status?: string }[];
}

const podSpec = (pod: KubeObject) => (pod.spec ?? {}) as PodSpec;
const nodeSpec = (node: KubeObject) => (node.spec ?? {}) as NodeSpec;
const nodeStatus = (node: KubeObject) => (node.status ?? {}) as NodeStatus;

/** Resource amounts in milli-units (cpu in millicores, memory in milli-bytes). */
export interface Resources {
  cpu: bigint;
  memory: bigint;
}

function milli(value: string | undefined): bigint {
  if (value === undefined) return 0n;
  try {
    return parseQuantity(value).milliValue();
  } catch {
    return 0n;
  }
}

function requestsOf(container: Container, nonZero: boolean): Resources {
  const requests = container.resources?.requests ?? {};
  const cpu = milli(requests.cpu);
  const memory = milli(requests.memory);
  if (!nonZero) return { cpu, memory };
  // Upstream's scoring defaults for containers asking nothing: 100m cpu, 200Mi memory.
  return {
    cpu: requests.cpu === undefined ? 100n : cpu,
    memory: requests.memory === undefined ? 200n * 1024n * 1024n * 1000n : memory,
  };
}

/**
 * What a pod asks for: the sum over its containers, or the largest init container if
 * that is more (init containers run one at a time, before the others), plus overhead.
 * With `nonZero`, containers asking nothing count upstream's scoring defaults.
 */
export function podRequests(pod: KubeObject, nonZero = false): Resources {
  const spec = podSpec(pod);
  const total: Resources = { cpu: 0n, memory: 0n };
  for (const container of spec.containers ?? []) {
    const r = requestsOf(container, nonZero);
    total.cpu += r.cpu;
    total.memory += r.memory;
  }
  // Sidecars (restartPolicy Always) keep running: they add to everything after them.
  const sidecars: Resources = { cpu: 0n, memory: 0n };
  for (const container of spec.initContainers ?? []) {
    const r = requestsOf(container, false);
    if (container.restartPolicy === "Always") {
      sidecars.cpu += r.cpu;
      sidecars.memory += r.memory;
      total.cpu += r.cpu;
      total.memory += r.memory;
      continue;
    }
    const cpu = r.cpu + sidecars.cpu;
    const memory = r.memory + sidecars.memory;
    if (cpu > total.cpu) total.cpu = cpu;
    if (memory > total.memory) total.memory = memory;
  }
  total.cpu += milli(spec.overhead?.cpu);
  total.memory += milli(spec.overhead?.memory);
  return total;
}

export interface NodeInfo {
  node: KubeObject;
  /** Pods bound (or being bound) to the node that still hold resources. */
  pods: KubeObject[];
}

/** Every reason the pod does not fit the node; empty when it fits. */
export function filterNode(pod: KubeObject, info: NodeInfo): string[] {
  const { node } = info;
  const spec = podSpec(pod);
  const name = node.metadata?.name ?? "";
  if (nodeSpec(node).unschedulable) {
    const tolerated = (spec.tolerations ?? []).some((t) =>
      tolerates(t, { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }),
    );
    if (!tolerated) return ["node(s) were unschedulable"];
  }
  if (spec.nodeName && spec.nodeName !== name) {
    return ["node(s) didn't match the requested node name"];
  }
  if (!matchesNodeSelectorAndAffinity(pod, node)) {
    return ["node(s) didn't match Pod's node affinity/selector"];
  }
  const taint = untoleratedTaint(spec.tolerations ?? [], effectiveTaints(node));
  if (taint) return [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`];
  return insufficientResources(pod, info);
}

/** The node's taints, plus not-ready when its Ready condition is not True. */
export function effectiveTaints(node: KubeObject): Taint[] {
  const taints = [...(nodeSpec(node).taints ?? [])];
  const ready = nodeStatus(node).conditions?.find((c) => c.type === "Ready");
  if (ready?.status !== "True" && !taints.some((t) => t.key.startsWith("node.kubernetes.io/not"))) {
    const key =
      ready?.status === "Unknown"
        ? "node.kubernetes.io/unreachable"
        : "node.kubernetes.io/not-ready";
    taints.push({ key, effect: "NoSchedule" });
  }
  return taints;
}

export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.operator === "Exists") return !toleration.key || toleration.key === taint.key;
  return toleration.key === taint.key && (toleration.value ?? "") === (taint.value ?? "");
}

/** The first NoSchedule/NoExecute taint no toleration covers. */
export function untoleratedTaint(tolerations: Toleration[], taints: Taint[]): Taint | undefined {
  return taints.find(
    (taint) =>
      (taint.effect === "NoSchedule" || taint.effect === "NoExecute") &&
      !tolerations.some((t) => tolerates(t, taint)),
  );
}

export function matchesNodeSelectorAndAffinity(pod: KubeObject, node: KubeObject): boolean {
  const spec = podSpec(pod);
  const labels = node.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(spec.nodeSelector ?? {})) {
    if (labels[key] !== value) return false;
  }
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  const fields = { "metadata.name": node.metadata?.name ?? "" } as Record<string, string>;
  // The terms are ORed; a term with no requirements matches nothing.
  return (required.nodeSelectorTerms ?? []).some((term) => {
    const expressions = term.matchExpressions ?? [];
    const matchFields = term.matchFields ?? [];
    if (expressions.length === 0 && matchFields.length === 0) return false;
    return (
      expressions.every((r) => matchesRequirement(r, labels)) &&
      matchFields.every((r) => matchesRequirement(r, fields))
    );
  });
}

export function matchesRequirement(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case "In":
      return has && values.includes(value ?? "");
    case "NotIn":
      return !has || !values.includes(value ?? "");
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      if (!has || values.length !== 1) return false;
      const actual = parseIntStrict(value ?? "");
      const bound = parseIntStrict(values[0] ?? "");
      if (actual === undefined || bound === undefined) return false;
      return r.operator === "Gt" ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

function parseIntStrict(text: string): bigint | undefined {
  return /^-?\d+$/.test(text) ? BigInt(text) : undefined;
}

function allocatable(node: KubeObject): Resources & { pods: bigint } {
  const a = nodeStatus(node).allocatable ?? {};
  return { cpu: milli(a.cpu), memory: milli(a.memory), pods: milli(a.pods) / 1000n };
}

function requested(pods: KubeObject[], nonZero: boolean): Resources {
  const total: Resources = { cpu: 0n, memory: 0n };
  for (const pod of pods) {
    const r = podRequests(pod, nonZero);
    total.cpu += r.cpu;
    total.memory += r.memory;
  }
  return total;
}

/** NodeResourcesFit: pod count, then cpu and memory requests against what is left. */
export function insufficientResources(pod: KubeObject, info: NodeInfo): string[] {
  const reasons: string[] = [];
  const free = allocatable(info.node);
  if (BigInt(info.pods.length) + 1n > free.pods) reasons.push("Too many pods");
  const want = podRequests(pod);
  if (want.cpu === 0n && want.memory === 0n) return reasons;
  const used = requested(info.pods, false);
  if (want.cpu > 0n && want.cpu > free.cpu - used.cpu) reasons.push("Insufficient cpu");
  if (want.memory > 0n && want.memory > free.memory - used.memory) {
    reasons.push("Insufficient memory");
  }
  return reasons;
}

/** LeastAllocated: 0–100, higher for nodes left emptier (cpu and memory weigh the same). */
export function leastAllocatedScore(pod: KubeObject, info: NodeInfo): number {
  const free = allocatable(info.node);
  const used = requested([...info.pods, pod], true);
  const score = (capacity: bigint, want: bigint) =>
    capacity === 0n || want > capacity ? 0 : Number(((capacity - want) * 100n) / capacity);
  return Math.floor((score(free.cpu, used.cpu) + score(free.memory, used.memory)) / 2);
}

/** Upstream's FitError message: `0/3 nodes are available: 1 …, 2 Insufficient cpu.` */
export function fitErrorMessage(nodeCount: number, reasons: Map<string, string[]>): string {
  if (nodeCount === 0) return "no nodes available to schedule pods";
  const histogram = new Map<string, number>();
  for (const list of reasons.values()) {
    for (const reason of list) histogram.set(reason, (histogram.get(reason) ?? 0) + 1);
  }
  const parts = [...histogram].map(([reason, count]) => `${count} ${reason}`).sort();
  return `0/${nodeCount} nodes are available: ${parts.join(", ")}.`;
}

export type ScheduleResult =
  | { node: string; score: number }
  | { node?: undefined; message: string };

/** Filters every node, scores the feasible ones, picks the best (ties: by name). */
export function schedulePod(pod: KubeObject, nodes: NodeInfo[]): ScheduleResult {
  const reasons = new Map<string, string[]>();
  let best: { node: string; score: number } | undefined;
  const sorted = [...nodes].sort((a, b) =>
    (a.node.metadata?.name ?? "").localeCompare(b.node.metadata?.name ?? ""),
  );
  for (const info of sorted) {
    const name = info.node.metadata?.name ?? "";
    const failed = filterNode(pod, info);
    if (failed.length > 0) {
      reasons.set(name, failed);
      continue;
    }
    const score = leastAllocatedScore(pod, info);
    if (!best || score > best.score) best = { node: name, score };
  }
  return best ?? { message: fitErrorMessage(nodes.length, reasons) };
}

/** Pods this scheduler is responsible for. */
export function isOurs(pod: KubeObject): boolean {
  const spec = podSpec(pod);
  return (
    !spec.nodeName &&
    (spec.schedulerName ?? DEFAULT_SCHEDULER) === DEFAULT_SCHEDULER &&
    !pod.metadata?.deletionTimestamp
  );
}

/** Pods that hold a node's resources: bound and not finished. */
export function holdsResources(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return Boolean(podSpec(pod).nodeName) && phase !== "Succeeded" && phase !== "Failed";
}

export function podPriority(pod: KubeObject): number {
  return podSpec(pod).priority ?? 0;
}
