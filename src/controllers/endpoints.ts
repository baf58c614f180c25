/**
 * Endpoints controller (upstream's endpoint-controller).
 * Reconciles: every Service with a selector has an Endpoints of the same name listing
 * the pods it selects that have an IP: ready ones under addresses, the others under
 * notReadyAddresses (all under addresses when the Service publishes not-ready
 * addresses), each with the port every service port resolves to on that pod.
 * Owns: those Endpoints, labelled endpoints.kubernetes.io/managed-by; deleted with
 * their Service. Services without a selector keep the Endpoints their users write
 * (the API server's own `kubernetes` Endpoints among them).
 * Watches: services, pods, endpoints.
 */
import { isDeepStrictEqual } from "node:util";
import { isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { isPodReady } from "./active-pods.ts";
import { type ControllerClient, ControllerLoop, isResync } from "./controller.ts";
import { EventRecorder } from "./events.ts";
import { isNamespaceTerminating } from "./namespace-terminating.ts";
import {
  findPort,
  HEADLESS_LABEL,
  isHeadless,
  LAST_CHANGE_TRIGGER_TIME,
  podIPOfFamily,
  podReference,
  podSpec,
  rfc3339Nano,
  serviceIPFamilies,
  serviceSelector,
  serviceSpec,
  servicesSelecting,
  shouldPodBeInEndpoints,
  shouldSetHostname,
  TriggerTimeTracker,
} from "./service-endpoints.ts";
import type { SharedInformers } from "./shared-informers.ts";

export const MANAGED_BY_LABEL = "endpoints.kubernetes.io/managed-by";
export const ENDPOINT_CONTROLLER = "endpoint-controller";
export const OVER_CAPACITY_ANNOTATION = "endpoints.kubernetes.io/over-capacity";
/** Upstream caps an Endpoints at 1000 addresses; EndpointSlices carry the rest. */
export const MAX_CAPACITY = 1000;

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: string; namespace?: string; name?: string; uid?: string };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** One address offering one port (or no port, for a headless Service without ports). */
export interface AddressPort {
  address: EndpointAddress;
  ready: boolean;
  port?: EndpointPort;
}

export interface EndpointsControllerOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
}

export class EndpointsController {
  readonly services: Informer;
  readonly pods: Informer;
  readonly endpoints: Informer;
  readonly loop: ControllerLoop;
  readonly #client: ControllerClient;
  readonly #events: EventRecorder;
  readonly #triggerTimes = new TriggerTimeTracker();

  constructor(options: EndpointsControllerOptions) {
    this.#client = options.client;
    this.#events = new EventRecorder({
      client: options.client,
      component: ENDPOINT_CONTROLLER,
      log: options.log,
    });
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    this.services = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "services" }),
    });
    this.pods = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "pods" }),
    });
    this.endpoints = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "endpoints" }),
    });
    const enqueue = (object: KubeObject) =>
      this.loop.enqueue(`${object.metadata?.namespace}/${object.metadata?.name}`);
    const enqueueServicesOf = (pod: KubeObject) => {
      const services = this.services.store.byIndex("namespace", pod.metadata?.namespace ?? "");
      for (const key of servicesSelecting(services, pod)) this.loop.enqueue(key);
    };
    this.services.addEventHandler({
      onAdd: enqueue,
      onUpdate: (old, service) => {
        if (!isResync(old, service)) enqueue(service);
      },
      onDelete: enqueue,
    });
    this.pods.addEventHandler({
      onAdd: enqueueServicesOf,
      onUpdate: (old, pod) => {
        if (isResync(old, pod)) return;
        // A label change can move the pod from one Service to another.
        enqueueServicesOf(old);
        enqueueServicesOf(pod);
      },
      onDelete: enqueueServicesOf,
    });
    this.endpoints.addEventHandler({
      // Ours whose Service went away while no controller ran are deleted by the sync.
      onAdd: (endpoints) => {
        if (endpoints.metadata?.labels?.[MANAGED_BY_LABEL] === ENDPOINT_CONTROLLER)
          enqueue(endpoints);
      },
      onDelete: enqueue,
    });
  }

  async sync(key: string): Promise<void> {
    const [namespace = "", name = ""] = key.split("/");
    const path = resourcePath({ version: "v1", resource: "endpoints", namespace, name });
    const service = this.services.store.get(key);
    if (!service) {
      this.#triggerTimes.forget(key);
      if (!this.endpoints.store.get(key)) return;
      try {
        await this.#client.delete(path);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      return;
    }
    const selector = serviceSelector(service);
    if (!selector) return;
    const pods = this.pods.store
      .byIndex("namespace", namespace)
      .filter((pod) => selector.matches(pod.metadata?.labels ?? {}));
    const triggerTime = this.#triggerTimes.compute(key, service, pods);
    const subsets = repackSubsets(pods.flatMap((pod) => addressPorts(service, pod)));
    const labels = endpointsLabels(service);
    const current = this.endpoints.store.get(key);
    const overCapacity = addressCount(subsets) > MAX_CAPACITY;
    if (
      current &&
      isDeepStrictEqual(withoutResourceVersions(current.subsets), subsets) &&
      isDeepStrictEqual(current.metadata?.labels ?? {}, labels) &&
      !overCapacity &&
      current.metadata?.annotations?.[OVER_CAPACITY_ANNOTATION] === undefined
    ) {
      return;
    }
    const next: KubeObject = current
      ? structuredClone(current)
      : { apiVersion: "v1", kind: "Endpoints", metadata: { name, namespace } };
    const meta = next.metadata ?? {};
    next.metadata = meta;
    meta.labels = labels;
    const annotations = { ...(meta.annotations ?? {}) };
    if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(triggerTime);
    else delete annotations[LAST_CHANGE_TRIGGER_TIME];
    if (overCapacity) annotations[OVER_CAPACITY_ANNOTATION] = "truncated";
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    if (Object.keys(annotations).length > 0) meta.annotations = annotations;
    else delete meta.annotations;
    next.subsets = overCapacity ? truncateSubsets(subsets) : subsets;
    try {
      if (current) await this.#client.update(path, next);
      else
        await this.#client.create(
          resourcePath({ version: "v1", resource: "endpoints", namespace }),
          next,
        );
    } catch (error) {
      // A namespace being deleted refuses new Endpoints, and will keep refusing them.
      if (!current && isNamespaceTerminating(error)) return;
      const message = error instanceof Error ? error.message : String(error);
      if (current) {
        this.#events.event(
          next,
          "Warning",
          "FailedToUpdateEndpoint",
          `Failed to update endpoint ${namespace}/${name}: ${message}`,
        );
      } else {
        this.#events.event(
          next,
          "Warning",
          "FailedToCreateEndpoint",
          `Failed to create endpoint for service ${namespace}/${name}: ${message}`,
        );
      }
      throw error;
    }
  }
}

/** The Service's labels, marked as ours, and as headless when it has no cluster IP. */
export function endpointsLabels(service: KubeObject): Record<string, string> {
  const labels: Record<string, string> = { ...(service.metadata?.labels ?? {}) };
  labels[MANAGED_BY_LABEL] = ENDPOINT_CONTROLLER;
  if (isHeadless(service)) labels[HEADLESS_LABEL] = "";
  else delete labels[HEADLESS_LABEL];
  return labels;
}

/** What `pod` contributes to the Service's Endpoints: its address with each port it offers. */
export function addressPorts(service: KubeObject, pod: KubeObject): AddressPort[] {
  const spec = serviceSpec(service);
  const publishNotReady = spec.publishNotReadyAddresses === true;
  if (!shouldPodBeInEndpoints(pod, publishNotReady)) return [];
  const ip = podIPOfFamily(pod, serviceIPFamilies(service)[0] ?? "IPv4");
  if (ip === undefined) return [];
  const { nodeName, hostname } = podSpec(pod);
  const address: EndpointAddress = {
    ip,
    ...(hostname && shouldSetHostname(pod, service) ? { hostname } : {}),
    ...(nodeName ? { nodeName } : {}),
    targetRef: podReference(pod),
  };
  const ready = publishNotReady || isPodReady(pod);
  const ports = spec.ports ?? [];
  // A headless Service may have no ports: its addresses are still published.
  if (ports.length === 0) return spec.clusterIP === "None" ? [{ address, ready }] : [];
  const result: AddressPort[] = [];
  for (const servicePort of ports) {
    const port = findPort(pod, servicePort);
    if (port === undefined) continue;
    result.push({
      address,
      ready,
      port: {
        ...(servicePort.name ? { name: servicePort.name } : {}),
        port,
        protocol: servicePort.protocol ?? "TCP",
        ...(servicePort.appProtocol ? { appProtocol: servicePort.appProtocol } : {}),
      },
    });
  }
  return result;
}

const addressKey = (address: EndpointAddress) => `${address.ip}/${address.targetRef?.uid ?? ""}`;

const compareAddresses = (a: EndpointAddress, b: EndpointAddress) =>
  a.ip === b.ip
    ? (a.targetRef?.uid ?? "").localeCompare(b.targetRef?.uid ?? "")
    : a.ip.localeCompare(b.ip, undefined, { numeric: true });

const comparePorts = (a: EndpointPort, b: EndpointPort) =>
  (a.name ?? "").localeCompare(b.name ?? "") ||
  a.port - b.port ||
  (a.protocol ?? "").localeCompare(b.protocol ?? "");

/**
 * The canonical subsets (upstream's RepackSubsets): addresses that offer exactly the
 * same ports share one subset; an address ready on a port is ready there even when
 * another entry says otherwise. Sorted, so equal inputs give equal outputs.
 */
export function repackSubsets(entries: AddressPort[]): EndpointSubset[] {
  const byPort = new Map<
    string,
    { port?: EndpointPort; addresses: Map<string, { address: EndpointAddress; ready: boolean }> }
  >();
  for (const { address, ready, port } of entries) {
    const portKey = port
      ? JSON.stringify([port.name, port.port, port.protocol, port.appProtocol])
      : "";
    let group = byPort.get(portKey);
    if (!group) {
      group = { ...(port ? { port } : {}), addresses: new Map() };
      byPort.set(portKey, group);
    }
    const key = addressKey(address);
    const seen = group.addresses.get(key);
    group.addresses.set(key, { address: seen?.address ?? address, ready: ready || !!seen?.ready });
  }
  const byAddresses = new Map<
    string,
    { addresses: { address: EndpointAddress; ready: boolean }[]; ports: EndpointPort[] }
  >();
  for (const group of byPort.values()) {
    const setKey = [...group.addresses]
      .map(([key, { ready }]) => `${key}=${ready}`)
      .sort()
      .join(",");
    let subset = byAddresses.get(setKey);
    if (!subset) {
      subset = { addresses: [...group.addresses.values()], ports: [] };
      byAddresses.set(setKey, subset);
    }
    if (group.port) subset.ports.push(group.port);
  }
  const subsets = [...byAddresses.values()].map(({ addresses, ports }) => {
    const ready = addresses.filter((a) => a.ready).map((a) => a.address);
    const notReady = addresses.filter((a) => !a.ready).map((a) => a.address);
    const subset: EndpointSubset = {};
    if (ready.length > 0) subset.addresses = ready.sort(compareAddresses);
    if (notReady.length > 0) subset.notReadyAddresses = notReady.sort(compareAddresses);
    if (ports.length > 0) subset.ports = ports.sort(comparePorts);
    return subset;
  });
  return subsets.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

function addressCount(subsets: EndpointSubset[]): number {
  let count = 0;
  for (const subset of subsets) {
    count += (subset.addresses?.length ?? 0) + (subset.notReadyAddresses?.length ?? 0);
  }
  return count;
}

/**
 * Keeps MAX_CAPACITY addresses (upstream's truncateEndpoints): ready ones first, each
 * subset keeping its share of the room, rounded up.
 */
export function truncateSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const subset of subsets) {
    totalReady += subset.addresses?.length ?? 0;
    totalNotReady += subset.notReadyAddresses?.length ?? 0;
  }
  const truncateReady = totalReady > MAX_CAPACITY;
  const room = truncateReady ? MAX_CAPACITY : MAX_CAPACITY - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let left = room;
  return subsets.map((original) => {
    const subset = structuredClone(original);
    const inSubset = (truncateReady ? subset.addresses : subset.notReadyAddresses)?.length ?? 0;
    const take = Math.min(Math.ceil((inSubset / total) * room), left);
    if (truncateReady) {
      subset.addresses = (subset.addresses ?? []).slice(0, take);
      delete subset.notReadyAddresses;
      left -= subset.addresses.length;
    } else {
      subset.notReadyAddresses = (subset.notReadyAddresses ?? []).slice(0, take);
      left -= subset.notReadyAddresses.length;
    }
    return subset;
  });
}

/** Stored subsets as compared: a pod's resourceVersion in a targetRef is not a change. */
function withoutResourceVersions(subsets: unknown): EndpointSubset[] {
  const copy = structuredClone((subsets ?? []) as EndpointSubset[]);
  for (const subset of copy) {
    for (const address of [...(subset.addresses ?? []), ...(subset.notReadyAddresses ?? [])]) {
      if (address.targetRef)
        delete (address.targetRef as { resourceVersion?: string }).resourceVersion;
    }
  }
  return copy;
}
