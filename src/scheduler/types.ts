/**
 * The parts of Pod, Node and storage objects the scheduler reads, typed once. Objects
 * arrive as plain JSON (KubeObject); these accessors give them shape without copying.
 */
import type { KubeObject } from "../resources/kind.ts";
import type { MetaV1LabelSelector } from "../resources/labels/label-selector.ts";

export const DEFAULT_SCHEDULER = "default-scheduler";
export const LABEL_HOSTNAME = "kubernetes.io/hostname";
export const LABEL_ZONE = "topology.kubernetes.io/zone";

export interface SelectorRequirement {
  key: string;
  operator: string;
  values?: string[] | null;
}
export interface NodeSelectorTerm {
  matchExpressions?: SelectorRequirement[] | null;
  matchFields?: SelectorRequirement[] | null;
}
export interface NodeSelector {
  nodeSelectorTerms?: NodeSelectorTerm[] | null;
}
export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}
export interface PodAffinityTerm {
  labelSelector?: MetaV1LabelSelector | null;
  namespaces?: string[] | null;
  topologyKey: string;
  namespaceSelector?: MetaV1LabelSelector | null;
}
export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}
export interface Affinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector | null;
    preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[] | null;
  } | null;
  podAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[] | null;
    preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[] | null;
  } | null;
  podAntiAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[] | null;
    preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[] | null;
  } | null;
}
export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}
export interface Taint {
  key: string;
  value?: string;
  effect: string;
}
export interface ContainerPort {
  containerPort?: number;
  hostPort?: number;
  protocol?: string;
  hostIP?: string;
}
export interface Container {
  name?: string;
  resources?: { requests?: Record<string, string> | null } | null;
  restartPolicy?: string;
  ports?: ContainerPort[] | null;
}
export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: string;
  labelSelector?: MetaV1LabelSelector | null;
  minDomains?: number | null;
  nodeAffinityPolicy?: string | null;
  nodeTaintsPolicy?: string | null;
  matchLabelKeys?: string[] | null;
}
export interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean } | null;
  ephemeral?: unknown;
}
export interface PodSpec {
  nodeName?: string;
  schedulerName?: string;
  priority?: number;
  preemptionPolicy?: string;
  nodeSelector?: Record<string, string> | null;
  affinity?: Affinity | null;
  tolerations?: Toleration[] | null;
  containers?: Container[] | null;
  initContainers?: Container[] | null;
  overhead?: Record<string, string> | null;
  topologySpreadConstraints?: TopologySpreadConstraint[] | null;
  volumes?: Volume[] | null;
  schedulingGates?: { name: string }[] | null;
}
export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
}
export interface PodStatus {
  phase?: string;
  conditions?: PodCondition[] | null;
  nominatedNodeName?: string;
  startTime?: string;
}
export interface NodeSpec {
  unschedulable?: boolean;
  taints?: Taint[] | null;
}
export interface NodeStatus {
  allocatable?: Record<string, string> | null;
  conditions?: { type?: string; status?: string }[] | null;
}

export const podSpec = (pod: KubeObject): PodSpec => (pod.spec ?? {}) as PodSpec;
export const podStatus = (pod: KubeObject): PodStatus => (pod.status ?? {}) as PodStatus;
export const nodeSpec = (node: KubeObject): NodeSpec => (node.spec ?? {}) as NodeSpec;
export const nodeStatus = (node: KubeObject): NodeStatus => (node.status ?? {}) as NodeStatus;

/** The scheduler's cache key of a pod: namespace/name. */
export const podKey = (pod: KubeObject): string =>
  `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;

export const schedulerNameOf = (pod: KubeObject): string =>
  podSpec(pod).schedulerName || DEFAULT_SCHEDULER;

export const isAssigned = (pod: KubeObject): boolean => Boolean(podSpec(pod).nodeName);

export const podPriority = (pod: KubeObject): number => podSpec(pod).priority ?? 0;

/** A finished pod holds nothing on its node (the informer also filters them out). */
export function isTerminal(pod: KubeObject): boolean {
  const phase = podStatus(pod).phase;
  return phase === "Succeeded" || phase === "Failed";
}
