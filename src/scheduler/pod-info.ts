/**
 * A pod as the scheduler uses it (upstream framework.PodInfo): the object plus what the
 * filter/score loop needs from it, computed once per pod version — requests, host ports,
 * parsed affinity terms — instead of once per node.
 */
import type { KubeObject } from "../resources/kind.ts";
import { LabelSelector } from "../resources/labels/label-selector.ts";
import { podRequests, type Resources } from "./resources.ts";
import {
  type PodAffinityTerm,
  type PodSpec,
  podKey,
  podPriority,
  podSpec,
  type WeightedPodAffinityTerm,
} from "./types.ts";

/** A required or preferred pod (anti-)affinity term with its selectors parsed. */
export class AffinityTerm {
  constructor(
    readonly namespaces: ReadonlySet<string>,
    readonly selector: LabelSelector,
    readonly topologyKey: string,
    readonly namespaceSelector: LabelSelector,
    readonly weight = 0,
  ) {}

  /** Does `pod` (in a namespace labelled `namespaceLabels`) fall under this term? */
  matches(pod: PodInfo, namespaceLabels: Readonly<Record<string, string>> | undefined): boolean {
    if (
      !this.namespaces.has(pod.namespace) &&
      !(namespaceLabels !== undefined && this.namespaceSelector.matches(namespaceLabels))
    ) {
      return false;
    }
    return this.selector.matches(pod.labels);
  }

  /** The term with namespaceSelector resolved to the namespaces it selects now. */
  withNamespaces(namespaces: Iterable<string>): AffinityTerm {
    const merged = new Set(this.namespaces);
    for (const namespace of namespaces) merged.add(namespace);
    return new AffinityTerm(
      merged,
      this.selector,
      this.topologyKey,
      LabelSelector.nothing(),
      this.weight,
    );
  }
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export class PodInfo {
  readonly key: string;
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly priority: number;
  readonly spec: PodSpec;
  readonly requests: Resources;
  readonly nonZeroMilliCPU: number;
  readonly nonZeroMemory: number;
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly AffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly AffinityTerm[];
  /** A selector that does not parse; such a pod cannot be scheduled (upstream: error). */
  readonly parseError: string | undefined;

  constructor(readonly pod: KubeObject) {
    const meta = pod.metadata ?? {};
    this.key = podKey(pod);
    this.uid = meta.uid ?? "";
    this.namespace = meta.namespace ?? "";
    this.name = meta.name ?? "";
    this.labels = meta.labels ?? {};
    this.priority = podPriority(pod);
    this.spec = podSpec(pod);
    this.requests = podRequests(this.spec);
    const nonZero = podRequests(this.spec, true);
    this.nonZeroMilliCPU = nonZero.milliCPU;
    this.nonZeroMemory = nonZero.memory;
    this.hostPorts = hostPortsOf(this.spec);
    const affinity = this.spec.affinity;
    let parseError: string | undefined;
    const parse = <T>(terms: T[] | null | undefined, toTerm: (t: T) => AffinityTerm) => {
      const parsed: AffinityTerm[] = [];
      for (const term of terms ?? []) {
        try {
          parsed.push(toTerm(term));
        } catch (error) {
          parseError ??= (error as Error).message;
        }
      }
      return parsed;
    };
    const required = (term: PodAffinityTerm) => newAffinityTerm(this.namespace, term, 0);
    const weighted = (term: WeightedPodAffinityTerm) =>
      newAffinityTerm(this.namespace, term.podAffinityTerm, term.weight);
    this.requiredAffinityTerms = parse(
      affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
      required,
    );
    this.requiredAntiAffinityTerms = parse(
      affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
      required,
    );
    this.preferredAffinityTerms = parse(
      affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
      weighted,
    );
    this.preferredAntiAffinityTerms = parse(
      affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
      weighted,
    );
    this.parseError = parseError;
  }

  get nodeName(): string {
    return this.spec.nodeName ?? "";
  }

  get hasAffinity(): boolean {
    return (
      this.requiredAffinityTerms.length > 0 ||
      this.requiredAntiAffinityTerms.length > 0 ||
      this.preferredAffinityTerms.length > 0 ||
      this.preferredAntiAffinityTerms.length > 0
    );
  }

  get isTerminating(): boolean {
    return Boolean(this.pod.metadata?.deletionTimestamp);
  }

  /** The same pod placed on `nodeName` (what the scheduler assumes before binding). */
  withNodeName(nodeName: string): PodInfo {
    return new PodInfo({ ...this.pod, spec: { ...this.spec, nodeName } });
  }
}

/**
 * Upstream getNamespacesFromPodAffinityTerm: no namespaces and no namespaceSelector
 * means the pod's own namespace; a null namespaceSelector selects no namespace, an
 * empty one every namespace.
 */
function newAffinityTerm(namespace: string, term: PodAffinityTerm, weight: number): AffinityTerm {
  const namespaces =
    (term.namespaces ?? []).length === 0 && !term.namespaceSelector
      ? new Set([namespace])
      : new Set(term.namespaces ?? []);
  return new AffinityTerm(
    namespaces,
    LabelSelector.fromObject(term.labelSelector),
    term.topologyKey,
    LabelSelector.fromObject(term.namespaceSelector),
    weight,
  );
}

/** Host ports of the containers and sidecars (init containers that keep running). */
function hostPortsOf(spec: PodSpec): HostPort[] {
  const ports: HostPort[] = [];
  const collect = (containers: PodSpec["containers"], sidecarsOnly: boolean) => {
    for (const container of containers ?? []) {
      if (sidecarsOnly && container.restartPolicy !== "Always") continue;
      for (const port of container.ports ?? []) {
        if (!port.hostPort || port.hostPort <= 0) continue;
        ports.push({
          ip: port.hostIP || "0.0.0.0",
          protocol: port.protocol || "TCP",
          port: port.hostPort,
        });
      }
    }
  };
  collect(spec.containers, false);
  collect(spec.initContainers, true);
  return ports;
}
