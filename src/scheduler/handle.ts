/**
 * What plugins get to work with (upstream fwk.Handle): the cache, read access to the
 * other objects they consult (listers over the scheduler's informers), the API client
 * for PreBind/Bind/preemption writes, the event recorder and the nominator.
 */
import type { ApiClient } from "../client/api-client.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import type { SchedulerCache } from "./cache.ts";
import type { Framework } from "./framework.ts";
import type { PodInfo } from "./pod-info.ts";

export interface Listers {
  namespaceLabels(name: string): Readonly<Record<string, string>> | undefined;
  namespaces(): readonly KubeObject[];
  persistentVolumeClaim(namespace: string, name: string): KubeObject | undefined;
  persistentVolume(name: string): KubeObject | undefined;
  persistentVolumes(): readonly KubeObject[];
  storageClass(name: string): KubeObject | undefined;
  podDisruptionBudgets(): readonly KubeObject[];
  /** Services, ReplicationControllers, ReplicaSets and StatefulSets of a namespace. */
  selectorsOwners(namespace: string): {
    services: readonly KubeObject[];
    replicationControllers: readonly KubeObject[];
    replicaSets: readonly KubeObject[];
    statefulSets: readonly KubeObject[];
  };
  /** An unassigned pod as the informer has it now. */
  pendingPod(key: string): KubeObject | undefined;
}

export interface EventSink {
  event(object: KubeObject, type: "Normal" | "Warning", reason: string, message: string): void;
}

export interface Nominations {
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
}

export type SchedulerClient = Pick<ApiClient, "get" | "create" | "patch" | "delete">;

export interface Handle {
  readonly cache: SchedulerCache;
  readonly listers: Listers;
  readonly client: SchedulerClient;
  readonly events: EventSink;
  readonly nominations: Nominations;
  readonly log: Logger;
  /** The framework of the profile the plugin belongs to (set once it is built). */
  framework(): Framework;
  /** Calls `listener` whenever a PVC or PV changes; returns an unsubscribe function. */
  onStorageChange(listener: () => void): () => void;
}
