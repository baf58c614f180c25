/**
 * EndpointSlice controller (upstream's endpointslice-controller).
 * Reconciles: for every Service with a selector, discovery.k8s.io/v1 EndpointSlices
 * holding one endpoint per selected pod with an IP of the slice's address type
 * (conditions ready/serving/terminating, nodeName, zone, targetRef), grouped by the
 * ports the pod offers, at most 100 endpoints a slice. Existing slices are updated in
 * place; new ones are named `<service>-<random>`. A Service with no endpoints keeps one
 * empty placeholder slice.
 * Owns: slices labelled endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io,
 * controlled by their Service (the garbage collector deletes them with it).
 * Watches: services, pods, nodes, its own EndpointSlices.
 */
import { isDeepStrictEqual } from "node:util";
import { isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { isPodReady } from "./active-pods.ts";
import { type ControllerClient, ControllerLoop, IgnorableError, isResync } from "./controller.ts";
import { EventRecorder } from "./events.ts";
import { isNamespaceTerminating } from "./namespace-terminating.ts";
import { controllerRef, isControlledBy } from "./owners.ts";
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

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
export const SLICE_MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
export const ENDPOINTSLICE_CONTROLLER = "endpointslice-controller.k8s.io";
/** Upstream's --max-endpoints-per-slice default: small slices keep updates small. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
const ZONE_LABEL = "topology.kubernetes.io/zone";

export interface SlicePort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef: { kind: string; namespace: string; name: string; uid: string };
}

export interface EndpointSliceControllerOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  maxEndpointsPerSlice?: number;
}

export class EndpointSliceController {
  readonly services: Informer;
  readonly pods: Informer;
  readonly nodes: Informer;
  readonly slices: Informer;
  readonly loop: ControllerLoop;
  readonly #client: ControllerClient;
  readonly #events: EventRecorder;
  readonly #maxPerSlice: number;
  readonly #triggerTimes = new TriggerTimeTracker();
  /**
   * The generation each slice had after our last write to it (Infinity once we deleted
   * it): a cache older than that must not be acted on, and a newer one was changed by
   * somebody else (upstream's EndpointSliceTracker).
   */
  readonly #written = new Map<string, number>();

  constructor(options: EndpointSliceControllerOptions) {
    this.#client = options.client;
    this.#maxPerSlice = options.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
    this.#events = new EventRecorder({
      client: options.client,
      component: "endpointslice-controller",
      log: options.log,
    });
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    this.services = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "services" }),
    });
    this.pods = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "pods" }),
    });
    this.nodes = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "nodes" }),
    });
    this.slices = options.informers.informer({
      path: resourcePath({ group: "discovery.k8s.io", version: "v1", resource: "endpointslices" }),
      labelSelector: `${SLICE_MANAGED_BY_LABEL}=${ENDPOINTSLICE_CONTROLLER}`,
    });
    const enqueue = (service: KubeObject) =>
      this.loop.enqueue(`${service.metadata?.namespace}/${service.metadata?.name}`);
    const enqueueServicesOf = (pod: KubeObject) => {
      const services = this.services.store.byIndex("namespace", pod.metadata?.namespace ?? "");
      for (const key of servicesSelecting(services, pod)) this.loop.enqueue(key);
    };
    const enqueueSliceService = (slice: KubeObject) => {
      const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (service) this.loop.enqueue(`${slice.metadata?.namespace}/${service}`);
    };
    this.services.addEventHandler({
      onAdd: enqueue,
      onUpdate: (old, service) => {
        if (!isResync(old, service)) enqueue(service);
      },
      onDelete: (service) => {
        this.#triggerTimes.forget(`${service.metadata?.namespace}/${service.metadata?.name}`);
      },
    });
    this.pods.addEventHandler({
      onAdd: enqueueServicesOf,
      onUpdate: (old, pod) => {
        if (isResync(old, pod)) return;
        enqueueServicesOf(old);
        enqueueServicesOf(pod);
      },
      onDelete: enqueueServicesOf,
    });
    this.slices.addEventHandler({
      onAdd: (slice) => {
        if (this.#changedByOthers(slice)) enqueueSliceService(slice);
      },
      onUpdate: (old, slice) => {
        if (!isResync(old, slice) && this.#changedByOthers(slice)) enqueueSliceService(slice);
      },
      onDelete: (slice) => {
        const uid = slice.metadata?.uid ?? "";
        const ours = this.#written.get(uid) === Number.POSITIVE_INFINITY;
        this.#written.delete(uid);
        if (!ours) enqueueSliceService(slice);
      },
    });
  }

  async sync(key: string): Promise<void> {
    const [namespace = "", name = ""] = key.split("/");
    const service = this.services.store.get(key);
    // A deleted Service's slices go with it: they are owned by it.
    if (!service || service.metadata?.deletionTimestamp) return;
    const selector = serviceSelector(service);
    if (!selector) return;
    const existing = this.slices.store
      .byIndex("namespace", namespace)
      .filter((slice) => slice.metadata?.labels?.[SERVICE_NAME_LABEL] === name);
    if (existing.some((slice) => this.#isStale(slice))) {
      throw new IgnorableError(`EndpointSlice informer cache is out of date for ${key}`);
    }
    const pods = this.pods.store
      .byIndex("namespace", namespace)
      .filter((pod) => selector.matches(pod.metadata?.labels ?? {}))
      .sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
    const triggerTime = this.#triggerTimes.compute(key, service, pods);
    const missingNodes: string[] = [];
    const plan: SlicePlan = { create: [], update: [], delete: [] };
    const addressTypes = serviceIPFamilies(service);
    for (const slice of existing) {
      if (!addressTypes.includes(String(slice.addressType))) plan.delete.push(slice);
    }
    for (const addressType of addressTypes) {
      const desired = new Map<string, { ports: SlicePort[]; endpoints: SliceEndpoint[] }>();
      for (const pod of pods) {
        const endpoint = this.#endpointFor(service, pod, addressType, missingNodes);
        if (!endpoint) continue;
        const ports = endpointPorts(service, pod);
        const portKey = portsKey(ports);
        const group = desired.get(portKey) ?? { ports, endpoints: [] };
        group.endpoints.push(endpoint);
        desired.set(portKey, group);
      }
      const slices = existing.filter((slice) => slice.addressType === addressType);
      const partial = reconcileAddressType({
        service,
        addressType,
        existing: slices,
        desired,
        maxPerSlice: this.#maxPerSlice,
      });
      plan.create.push(...partial.create);
      plan.update.push(...partial.update);
      plan.delete.push(...partial.delete);
    }
    try {
      await this.#apply(namespace, plan, triggerTime);
    } catch (error) {
      if (isNamespaceTerminating(error)) return;
      const message = error instanceof Error ? error.message : String(error);
      this.#events.event(
        service,
        "Warning",
        "FailedToUpdateEndpointSlices",
        `Error updating Endpoint Slices for Service ${key}: ${message}`,
      );
      throw error;
    }
    // Published without them; the pods come in once their Nodes are known.
    if (missingNodes.length > 0) {
      throw new IgnorableError(`skipped pods of ${key} on unknown nodes ${missingNodes.join(",")}`);
    }
  }

  #endpointFor(
    service: KubeObject,
    pod: KubeObject,
    addressType: string,
    missingNodes: string[],
  ): SliceEndpoint | undefined {
    if (!shouldPodBeInEndpoints(pod, true)) return undefined;
    const ip = podIPOfFamily(pod, addressType);
    if (ip === undefined) return undefined;
    const publishNotReady = serviceSpec(service).publishNotReadyAddresses === true;
    const { nodeName, hostname } = podSpec(pod);
    const node = nodeName ? this.nodes.store.get(nodeName) : undefined;
    if (nodeName && !node && !publishNotReady) {
      missingNodes.push(nodeName);
      return undefined;
    }
    const serving = isPodReady(pod);
    const terminating = Boolean(pod.metadata?.deletionTimestamp);
    const zone = node?.metadata?.labels?.[ZONE_LABEL];
    return {
      addresses: [ip],
      // A terminating pod is never ready unless the Service publishes not-ready addresses.
      conditions: { ready: publishNotReady || (serving && !terminating), serving, terminating },
      ...(hostname && shouldSetHostname(pod, service) ? { hostname } : {}),
      ...(nodeName ? { nodeName } : {}),
      ...(zone ? { zone } : {}),
      targetRef: podReference(pod),
    };
  }

  async #apply(namespace: string, plan: SlicePlan, triggerTime: number | undefined) {
    const collection = resourcePath({
      group: "discovery.k8s.io",
      version: "v1",
      resource: "endpointslices",
      namespace,
    });
    // Plans share nested objects with the informer cache: write copies.
    const stamped = (slice: KubeObject) => {
      const copy = structuredClone(slice);
      if (triggerTime === undefined) return copy;
      const meta = copy.metadata ?? {};
      copy.metadata = meta;
      meta.annotations = {
        ...meta.annotations,
        [LAST_CHANGE_TRIGGER_TIME]: rfc3339Nano(triggerTime),
      };
      return copy;
    };
    for (const slice of plan.create) {
      this.#remember(await this.#client.create(collection, stamped(slice)));
    }
    for (const slice of plan.update) {
      const path = `${collection}/${slice.metadata?.name}`;
      this.#remember(await this.#client.update(path, stamped(slice)));
    }
    for (const slice of plan.delete) {
      try {
        await this.#client.delete(`${collection}/${slice.metadata?.name}`, {
          preconditions: { uid: slice.metadata?.uid ?? "" },
        });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      this.#written.set(slice.metadata?.uid ?? "", Number.POSITIVE_INFINITY);
    }
  }

  #remember(slice: KubeObject): void {
    this.#written.set(slice.metadata?.uid ?? "", slice.metadata?.generation ?? 0);
  }

  #isStale(slice: KubeObject): boolean {
    const written = this.#written.get(slice.metadata?.uid ?? "");
    return written !== undefined && (slice.metadata?.generation ?? 0) < written;
  }

  #changedByOthers(slice: KubeObject): boolean {
    const written = this.#written.get(slice.metadata?.uid ?? "");
    return written === undefined || (slice.metadata?.generation ?? 0) > written;
  }
}

interface SlicePlan {
  create: KubeObject[];
  update: KubeObject[];
  delete: KubeObject[];
}

/** The ports a pod offers for the Service: every service port that resolves on it. */
export function endpointPorts(service: KubeObject, pod: KubeObject): SlicePort[] {
  const ports: SlicePort[] = [];
  for (const servicePort of serviceSpec(service).ports ?? []) {
    const port = findPort(pod, servicePort);
    if (port === undefined) continue;
    ports.push({
      name: servicePort.name ?? "",
      port,
      protocol: servicePort.protocol ?? "TCP",
      ...(servicePort.appProtocol ? { appProtocol: servicePort.appProtocol } : {}),
    });
  }
  return ports;
}

function portsKey(ports: SlicePort[]): string {
  const sorted = ports
    .map((p) => [p.name, p.port, p.protocol, p.appProtocol ?? ""])
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return JSON.stringify(sorted);
}

/** Endpoints are the same endpoint when they have the same addresses and pod. */
const endpointKey = (endpoint: SliceEndpoint) =>
  JSON.stringify([
    endpoint.addresses,
    endpoint.hostname ?? "",
    endpoint.targetRef.namespace,
    endpoint.targetRef.name,
  ]);

/** The slice's labels: the Service's, its headless mark, and the two reserved ones. */
export function sliceLabels(service: KubeObject): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(service.metadata?.labels ?? {})) {
    if (key !== SERVICE_NAME_LABEL && key !== SLICE_MANAGED_BY_LABEL) labels[key] = value;
  }
  if (isHeadless(service)) labels[HEADLESS_LABEL] = "";
  labels[SERVICE_NAME_LABEL] = service.metadata?.name ?? "";
  labels[SLICE_MANAGED_BY_LABEL] = ENDPOINTSLICE_CONTROLLER;
  return labels;
}

export function newSlice(service: KubeObject, addressType: string, ports: SlicePort[]): KubeObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      // Service names are DNS labels (at most 63 characters), so the prefix always fits.
      generateName: `${service.metadata?.name}-`,
      namespace: service.metadata?.namespace,
      labels: sliceLabels(service),
      ownerReferences: [{ ...controllerRef(service), apiVersion: "v1", kind: "Service" }],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

export interface AddressTypeInput {
  service: KubeObject;
  addressType: string;
  existing: KubeObject[];
  desired: Map<string, { ports: SlicePort[]; endpoints: SliceEndpoint[] }>;
  maxPerSlice: number;
}

/**
 * The writes that bring one address type's slices to the desired endpoints
 * (upstream's reconcileByAddressType): keep every endpoint where it already is,
 * update changed ones in place, drop the ones no longer wanted, top up the slices
 * being updated anyway, then put the rest into the fullest unchanged slice they fit
 * in or into new slices, and turn deletions into updates rather than delete+create.
 */
export function reconcileAddressType(input: AddressTypeInput): SlicePlan {
  const { service, addressType, desired, maxPerSlice } = input;
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const byPorts = new Map<string, KubeObject[]>();
  for (const slice of input.existing) {
    if (!isControlledBy(slice, service)) {
      // Left by an earlier Service of the same name, awaiting garbage collection.
      plan.delete.push(slice);
      continue;
    }
    const key = portsKey((slice.ports ?? []) as SlicePort[]);
    byPorts.set(key, [...(byPorts.get(key) ?? []), slice]);
  }
  for (const [key, group] of desired) {
    const partial = reconcilePorts(
      service,
      addressType,
      byPorts.get(key) ?? [],
      group,
      maxPerSlice,
    );
    byPorts.delete(key);
    plan.create.push(...partial.create);
    plan.update.push(...partial.update);
    plan.delete.push(...partial.delete);
  }
  for (const slices of byPorts.values()) plan.delete.push(...slices);
  // Deleting one slice while creating another is one update instead.
  while (plan.create.length > 0) {
    const reusable = plan.delete.findIndex(
      (slice) => slice.addressType === addressType && isControlledBy(slice, service),
    );
    if (reusable < 0) break;
    const [old] = plan.delete.splice(reusable, 1);
    const slice = plan.create.pop() as KubeObject;
    plan.update.push({
      ...slice,
      metadata: { ...old?.metadata, labels: slice.metadata?.labels },
    });
  }
  // A Service without endpoints keeps one empty placeholder slice.
  if (input.existing.length === plan.delete.length && plan.create.length === 0) {
    const placeholder = plan.delete.length === 1 ? plan.delete[0] : undefined;
    if (
      placeholder &&
      isControlledBy(placeholder, service) &&
      placeholder.addressType === addressType &&
      ((placeholder.endpoints ?? []) as unknown[]).length === 0 &&
      ((placeholder.ports ?? []) as unknown[]).length === 0
    ) {
      plan.delete = [];
      if (!isDeepStrictEqual(placeholder.metadata?.labels ?? {}, sliceLabels(service))) {
        plan.update.push({
          ...placeholder,
          metadata: { ...placeholder.metadata, labels: sliceLabels(service) },
        });
      }
    } else {
      plan.create.push(newSlice(service, addressType, []));
    }
  }
  return plan;
}

function reconcilePorts(
  service: KubeObject,
  addressType: string,
  existing: KubeObject[],
  group: { ports: SlicePort[]; endpoints: SliceEndpoint[] },
  maxPerSlice: number,
): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const wanted = new Map(group.endpoints.map((endpoint) => [endpointKey(endpoint), endpoint]));
  const labels = sliceLabels(service);
  const unchanged: KubeObject[] = [];
  for (const slice of existing) {
    const current = (slice.endpoints ?? []) as SliceEndpoint[];
    const kept: SliceEndpoint[] = [];
    let changed = false;
    for (const endpoint of current) {
      const key = endpointKey(endpoint);
      const want = wanted.get(key);
      if (!want) continue;
      kept.push(want);
      if (!isDeepStrictEqual(want, endpoint)) changed = true;
      wanted.delete(key);
    }
    const labelsChanged = !isDeepStrictEqual(slice.metadata?.labels ?? {}, labels);
    if (changed || kept.length !== current.length) {
      if (kept.length === 0) plan.delete.push(slice);
      else plan.update.push({ ...slice, metadata: { ...slice.metadata, labels }, endpoints: kept });
    } else if (labelsChanged) {
      plan.update.push({ ...slice, metadata: { ...slice.metadata, labels } });
    } else {
      unchanged.push(slice);
    }
  }
  const rest = [...wanted.values()];
  // Slices written anyway take what they have room for, fullest first.
  const updating = [...plan.update].sort((a, b) => endpointsOf(b).length - endpointsOf(a).length);
  for (const slice of updating) {
    while (rest.length > 0 && endpointsOf(slice).length < maxPerSlice) {
      slice.endpoints = [...endpointsOf(slice), rest.shift() as SliceEndpoint];
    }
  }
  while (rest.length > 0) {
    let target: KubeObject | undefined;
    if (rest.length < maxPerSlice) {
      // The fullest unchanged slice that still has room for all of them.
      target = unchanged
        .filter((slice) => endpointsOf(slice).length + rest.length <= maxPerSlice)
        .sort((a, b) => endpointsOf(b).length - endpointsOf(a).length)[0];
    }
    if (target) {
      unchanged.splice(unchanged.indexOf(target), 1);
      plan.update.push({ ...target, endpoints: [...endpointsOf(target), ...rest.splice(0)] });
      continue;
    }
    const slice = newSlice(service, addressType, group.ports);
    slice.endpoints = rest.splice(0, maxPerSlice);
    plan.create.push(slice);
  }
  return plan;
}

const endpointsOf = (slice: KubeObject) => (slice.endpoints ?? []) as SliceEndpoint[];
