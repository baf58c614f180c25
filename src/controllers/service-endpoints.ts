/**
 * What the Endpoints and EndpointSlice controllers agree on (upstream's
 * endpointslice/util and podutil helpers): which Services select a pod, which pods
 * are endpoints, the port a service port resolves to on a pod, and the
 * `endpoints.kubernetes.io/last-change-trigger-time` bookkeeping.
 */
import type { KubeObject } from "../resources/kind.ts";
import { LabelSelector } from "../resources/labels/label-selector.ts";

export const LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";
export const HEADLESS_LABEL = "service.kubernetes.io/headless";

export interface ServicePort {
  name?: string;
  protocol?: string;
  port?: number;
  targetPort?: number | string;
  appProtocol?: string;
}

interface ServiceSpec {
  type?: string;
  selector?: Record<string, string> | null;
  ports?: ServicePort[];
  clusterIP?: string;
  ipFamilies?: string[];
  publishNotReadyAddresses?: boolean;
}

interface PodSpec {
  nodeName?: string;
  hostname?: string;
  subdomain?: string;
  containers?: { ports?: { name?: string; containerPort?: number; protocol?: string }[] }[];
  initContainers?: {
    restartPolicy?: string;
    ports?: { name?: string; containerPort?: number; protocol?: string }[];
  }[];
}

export const serviceSpec = (service: KubeObject): ServiceSpec =>
  (service.spec ?? {}) as ServiceSpec;
export const podSpec = (pod: KubeObject): PodSpec => (pod.spec ?? {}) as PodSpec;

/**
 * The selector the controllers act on, or undefined: a Service without one (or with
 * an empty one, which the API cannot tell from none) has endpoints managed by its user.
 */
export function serviceSelector(service: KubeObject): LabelSelector | undefined {
  const spec = serviceSpec(service);
  if (spec.type === "ExternalName") return undefined;
  const selector = spec.selector;
  if (!selector || Object.keys(selector).length === 0) return undefined;
  return LabelSelector.fromSet(selector);
}

/** Keys of the services in `pod`'s namespace whose selector matches its labels. */
export function servicesSelecting(services: KubeObject[], pod: KubeObject): string[] {
  const keys: string[] = [];
  for (const service of services) {
    if (serviceSelector(service)?.matches(pod.metadata?.labels ?? {})) {
      keys.push(`${service.metadata?.namespace}/${service.metadata?.name}`);
    }
  }
  return keys;
}

/**
 * A pod is an endpoint while it is not terminal and has an IP; a terminating pod only
 * when the caller publishes those (upstream's ShouldPodBeInEndpoints).
 */
export function shouldPodBeInEndpoints(pod: KubeObject, includeTerminating: boolean): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase === "Succeeded" || phase === "Failed") return false;
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

export function podIPs(pod: KubeObject): string[] {
  const status = (pod.status ?? {}) as { podIP?: string; podIPs?: { ip?: string }[] };
  const ips = (status.podIPs ?? []).map((entry) => entry.ip ?? "").filter((ip) => ip !== "");
  if (ips.length === 0 && status.podIP) ips.push(status.podIP);
  return ips;
}

/** The reference an endpoint keeps to its pod (no resourceVersion: pod updates are not changes). */
export function podReference(pod: KubeObject) {
  const meta = pod.metadata ?? {};
  return {
    kind: "Pod",
    namespace: meta.namespace ?? "",
    name: meta.name ?? "",
    uid: meta.uid ?? "",
  };
}

export const ipFamilyOf = (ip: string): "IPv4" | "IPv6" => (ip.includes(":") ? "IPv6" : "IPv4");

/** The pod's IP of the given family, if it has one. */
export function podIPOfFamily(pod: KubeObject, family: string): string | undefined {
  return podIPs(pod).find((ip) => ipFamilyOf(ip) === family);
}

/** The service's IP families; the first one when the cluster is single-stack. */
export function serviceIPFamilies(service: KubeObject): string[] {
  const spec = serviceSpec(service);
  if (spec.ipFamilies && spec.ipFamilies.length > 0) return spec.ipFamilies;
  const ip = spec.clusterIP ?? "";
  return [ip.includes(":") ? "IPv6" : "IPv4"];
}

/**
 * The port number a service port reaches on `pod`: its targetPort when a number, else
 * the container port of that name and protocol (sidecars count as containers).
 */
export function findPort(pod: KubeObject, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === "number") return target;
  if (typeof target !== "string" || target === "") return undefined;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? "TCP";
  const spec = podSpec(pod);
  const sidecars = (spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always");
  for (const container of [...(spec.containers ?? []), ...sidecars]) {
    for (const containerPort of container.ports ?? []) {
      if (containerPort.name === target && (containerPort.protocol ?? "TCP") === protocol) {
        return containerPort.containerPort;
      }
    }
  }
  return undefined;
}

/** A pod's hostname is published only for the Service named by its subdomain. */
export function shouldSetHostname(pod: KubeObject, service: KubeObject): boolean {
  const spec = podSpec(pod);
  return (
    Boolean(spec.hostname) &&
    spec.subdomain === service.metadata?.name &&
    pod.metadata?.namespace === service.metadata?.namespace
  );
}

export function isHeadless(service: KubeObject): boolean {
  const ip = serviceSpec(service).clusterIP ?? "";
  return ip === "" || ip === "None";
}

/** Go's RFC3339Nano: fractional seconds without trailing zeros. */
export function rfc3339Nano(ms: number): string {
  const [whole, fraction = ""] = new Date(ms).toISOString().slice(0, -1).split(".");
  const digits = fraction.replace(/0+$/, "");
  return `${whole}${digits ? `.${digits}` : ""}Z`;
}

interface TriggerState {
  serviceTime: number;
  podTimes: Map<string, number>;
}

/**
 * When the change that a sync publishes happened (upstream's TriggerTimeTracker): the
 * earliest of the Service's creation (the first time it is seen) and the Ready
 * transitions of pods that changed since the last sync. Undefined when nothing did.
 */
export class TriggerTimeTracker {
  readonly #states = new Map<string, TriggerState>();

  compute(key: string, service: KubeObject, pods: KubeObject[]): number | undefined {
    const previous = this.#states.get(key);
    const next: TriggerState = {
      serviceTime: Date.parse(service.metadata?.creationTimestamp ?? "") || 0,
      podTimes: new Map(),
    };
    let earliest: number | undefined;
    const consider = (time: number) => {
      if (time > 0 && (earliest === undefined || time < earliest)) earliest = time;
    };
    if (previous?.serviceTime !== next.serviceTime) consider(next.serviceTime);
    for (const pod of pods) {
      const time = readyTransitionTime(pod);
      if (time === 0) continue;
      const name = pod.metadata?.name ?? "";
      next.podTimes.set(name, time);
      if (time > (previous?.podTimes.get(name) ?? 0)) consider(time);
    }
    this.#states.set(key, next);
    return earliest;
  }

  forget(key: string): void {
    this.#states.delete(key);
  }
}

function readyTransitionTime(pod: KubeObject): number {
  const conditions = (
    pod.status as { conditions?: { type?: string; lastTransitionTime?: string }[] }
  )?.conditions;
  const ready = conditions?.find((condition) => condition.type === "Ready");
  return Date.parse(ready?.lastTransitionTime ?? "") || 0;
}
