/**
 * Builders for scheduler unit tests: nodes and pods as API objects, a cache holding
 * them, and a Handle whose listers, client and event sink are in-memory fakes.
 */
import { Logger } from "../../src/log/logger.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { SchedulerCache } from "../../src/scheduler/cache.ts";
import type { ProfileConfig } from "../../src/scheduler/config.ts";
import type { Framework } from "../../src/scheduler/framework.ts";
import type { Handle, Listers } from "../../src/scheduler/handle.ts";
import { Nominator } from "../../src/scheduler/nominator.ts";
import { PodInfo } from "../../src/scheduler/pod-info.ts";
import { buildFramework } from "../../src/scheduler/registry.ts";

export interface NodeOptions {
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  cpu?: string;
  memory?: string;
  pods?: string;
  extra?: Record<string, string>;
  ready?: string;
  unschedulable?: boolean;
}

export function node(name: string, options: NodeOptions = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: { "kubernetes.io/hostname": name, ...(options.labels ?? {}) },
      resourceVersion: "1",
    },
    spec: { taints: options.taints, unschedulable: options.unschedulable },
    status: {
      allocatable: {
        cpu: options.cpu ?? "2",
        memory: options.memory ?? "4Gi",
        pods: options.pods ?? "110",
        ...(options.extra ?? {}),
      },
      conditions: [{ type: "Ready", status: options.ready ?? "True" }],
    },
  };
}

export interface PodOptions {
  namespace?: string;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  priority?: number;
  uid?: string;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  deleting?: boolean;
}

let uids = 0;

export function pod(name: string, options: PodOptions = {}): KubeObject {
  const requests: Record<string, string> = {};
  if (options.cpu) requests.cpu = options.cpu;
  if (options.memory) requests.memory = options.memory;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: options.namespace ?? "default",
      uid: options.uid ?? `uid-${name}-${++uids}`,
      labels: options.labels ?? {},
      resourceVersion: "1",
      ...(options.deleting ? { deletionTimestamp: "2024-01-01T00:00:00Z" } : {}),
    },
    spec: {
      containers: [{ name: "c", image: "busybox", resources: { requests } }],
      ...(options.nodeName ? { nodeName: options.nodeName } : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(options.spec ?? {}),
    },
    status: { phase: options.nodeName ? "Running" : "Pending", ...(options.status ?? {}) },
  };
}

export const info = (object: KubeObject) => new PodInfo(object);

/** A cache with the nodes and (assigned) pods given. */
export function cacheWith(nodes: KubeObject[], pods: KubeObject[] = []): SchedulerCache {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.addNode(n);
  for (const p of pods) cache.addPod(p);
  return cache;
}

export interface FakeWorld {
  namespaces?: KubeObject[];
  pvcs?: KubeObject[];
  pvs?: KubeObject[];
  storageClasses?: KubeObject[];
  pdbs?: KubeObject[];
  services?: KubeObject[];
  replicaSets?: KubeObject[];
  pending?: KubeObject[];
}

export interface Call {
  verb: string;
  path: string;
  body?: unknown;
}

export interface FakeHandle extends Handle {
  calls: Call[];
  recorded: { object: KubeObject; type: string; reason: string; message: string }[];
  world: FakeWorld;
  setFramework(framework: Framework): void;
  storageChanged(): void;
}

export function fakeHandle(cache: SchedulerCache, world: FakeWorld = {}): FakeHandle {
  const calls: Call[] = [];
  const recorded: FakeHandle["recorded"] = [];
  const listeners = new Set<() => void>();
  let framework: Framework | undefined;
  const byName = (list: KubeObject[] | undefined, name: string, namespace?: string) =>
    (list ?? []).find(
      (o) =>
        o.metadata?.name === name &&
        (namespace === undefined || o.metadata?.namespace === namespace),
    );
  const listers: Listers = {
    namespaceLabels: (name) => byName(world.namespaces, name)?.metadata?.labels ?? {},
    namespaces: () => world.namespaces ?? [],
    persistentVolumeClaim: (namespace, name) => byName(world.pvcs, name, namespace),
    persistentVolume: (name) => byName(world.pvs, name),
    persistentVolumes: () => world.pvs ?? [],
    storageClass: (name) => byName(world.storageClasses, name),
    podDisruptionBudgets: () => world.pdbs ?? [],
    selectorsOwners: (namespace) => ({
      services: (world.services ?? []).filter((s) => s.metadata?.namespace === namespace),
      replicationControllers: [],
      replicaSets: (world.replicaSets ?? []).filter((s) => s.metadata?.namespace === namespace),
      statefulSets: [],
    }),
    pendingPod: (key) =>
      (world.pending ?? []).find((p) => `${p.metadata?.namespace}/${p.metadata?.name}` === key),
  };
  const record = (verb: string) => async (path: string, body?: unknown) => {
    calls.push({ verb, path, body });
    return {} as never;
  };
  return {
    cache,
    listers,
    calls,
    recorded,
    world,
    client: {
      get: record("get"),
      create: record("create"),
      patch: record("patch"),
      delete: record("delete"),
    } as unknown as Handle["client"],
    events: {
      event: (object, type, reason, message) => recorded.push({ object, type, reason, message }),
    },
    nominations: new Nominator(),
    log: new Logger("test"),
    framework: () => framework as Framework,
    setFramework: (f) => {
      framework = f;
    },
    onStorageChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    storageChanged: () => {
      for (const listener of [...listeners]) listener();
    },
  };
}

/** The default profile's framework over `handle` (plugins configured by `pluginConfig`). */
export function framework(handle: FakeHandle, profile: Partial<ProfileConfig> = {}): Framework {
  const built = buildFramework(
    { schedulerName: "default-scheduler", plugins: {}, pluginConfig: {}, ...profile },
    handle,
    handle.nominations as Nominator,
  );
  handle.setFramework(built);
  return built;
}
