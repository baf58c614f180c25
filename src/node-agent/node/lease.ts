import { ApiError, isConflict, isNotFound } from "../../client/api-error.ts";
import { resourcePath } from "../../client/resource-path.ts";
import type { Logger } from "../../log/logger.ts";
import type { KubeObject } from "../../resources/kind.ts";
import type { NodeClient } from "./node-client.ts";
import { PeriodicTask } from "./periodic-task.ts";
import { microTime } from "./timestamps.ts";

export const NODE_LEASE_NAMESPACE = "kube-node-lease";
export const NODE_LEASE_DURATION_SECONDS = 40;
/** A quarter of the duration, as the kubelet renews. */
export const NODE_LEASE_RENEW_MS = 10_000;
const MAX_ATTEMPTS = 5;

export interface NodeLeaseOptions {
  client: NodeClient;
  nodeName: string;
  /** The Node's UID for the owner reference, once the Node exists. */
  nodeUid: () => string | undefined;
  durationSeconds?: number;
  renewIntervalMs?: number;
  /** Delay of the first renewal after start, to spread many nodes. */
  firstDelayMs?: number;
  now?: () => Date;
  log?: Logger;
}

/**
 * The lease to write: `base` (the one last read, or nothing) held by the node,
 * renewed now, owned by the Node when its UID is known.
 */
export function renewedLease(
  base: KubeObject | undefined,
  nodeName: string,
  nodeUid: string | undefined,
  now: Date,
  durationSeconds: number = NODE_LEASE_DURATION_SECONDS,
): KubeObject {
  const lease: KubeObject = base
    ? structuredClone(base)
    : {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: nodeName, namespace: NODE_LEASE_NAMESPACE },
      };
  const metadata = lease.metadata ?? {};
  lease.metadata = metadata;
  const owners = metadata.ownerReferences ?? [];
  if (nodeUid && !owners.some((owner) => owner.kind === "Node" && owner.uid === nodeUid)) {
    // So the lease goes away with its Node (garbage collection).
    metadata.ownerReferences = [
      ...owners.filter((owner) => owner.kind !== "Node"),
      { apiVersion: "v1", kind: "Node", name: nodeName, uid: nodeUid },
    ];
  }
  lease.spec = {
    ...(lease.spec as object | undefined),
    holderIdentity: nodeName,
    leaseDurationSeconds: durationSeconds,
    renewTime: microTime(now),
  };
  return lease;
}

/**
 * The node's heartbeat: Lease kube-node-lease/<node>, renewed every 10 s with
 * optimistic concurrency (update from the lease last read; on Conflict read it
 * again and retry, on NotFound create it), up to five tries per renewal.
 */
export class NodeLease {
  readonly #options: NodeLeaseOptions;
  readonly #path: string;
  readonly #task: PeriodicTask;
  #lease: KubeObject | undefined;

  constructor(options: NodeLeaseOptions) {
    this.#options = options;
    this.#path = resourcePath({
      group: "coordination.k8s.io",
      version: "v1",
      resource: "leases",
      namespace: NODE_LEASE_NAMESPACE,
    });
    const intervalMs = options.renewIntervalMs ?? NODE_LEASE_RENEW_MS;
    this.#task = new PeriodicTask({
      intervalMs,
      firstDelayMs: options.firstDelayMs ?? 0,
      // A failed renewal is retried sooner, well inside the lease's duration.
      retryMs: (failures) => Math.min(intervalMs, 200 * 2 ** failures),
      run: async () => {
        await this.renew();
      },
      onError: (error) => options.log?.warn("renewing the node lease failed", { error }),
    });
  }

  /** The lease as last written. */
  get lease(): KubeObject | undefined {
    return this.#lease;
  }

  start(): void {
    this.#task.start();
  }

  async stop(): Promise<void> {
    await this.#task.stop();
  }

  async renew(): Promise<KubeObject> {
    const { client, nodeName } = this.#options;
    const objectPath = `${this.#path}/${encodeURIComponent(nodeName)}`;
    let lastError: unknown;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        if (!this.#lease) {
          const found = await this.#getOrCreate(objectPath);
          this.#lease = found.lease;
          // A lease just created is already renewed.
          if (found.created) return found.lease;
        }
        this.#lease = await client.update(objectPath, this.#desired(this.#lease));
        return this.#lease;
      } catch (error) {
        lastError = error;
        if (!isConflict(error) && !isNotFound(error)) throw error;
        // Someone else wrote it (or deleted it): start again from what is there.
        this.#lease = undefined;
      }
    }
    throw lastError;
  }

  async #getOrCreate(objectPath: string): Promise<{ lease: KubeObject; created: boolean }> {
    const { client } = this.#options;
    try {
      return { lease: await client.get(objectPath), created: false };
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    try {
      return { lease: await client.create(this.#path, this.#desired(undefined)), created: true };
    } catch (error) {
      // Created by someone else between our get and create: update that one.
      if (error instanceof ApiError && error.reason === "AlreadyExists") {
        return { lease: await client.get(objectPath), created: false };
      }
      throw error;
    }
  }

  #desired(base: KubeObject | undefined): KubeObject {
    const { nodeName, nodeUid, durationSeconds, now } = this.#options;
    return renewedLease(base, nodeName, nodeUid(), now?.() ?? new Date(), durationSeconds);
  }
}
