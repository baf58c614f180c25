import { isNotFound } from "../../client/api-error.ts";
import { Reflector, type ReflectorSink } from "../../client/reflector.ts";
import { resourcePath } from "../../client/resource-path.ts";
import type { Logger } from "../../log/logger.ts";
import type { KubeObject } from "../../resources/kind.ts";
import type { NodeClient } from "../node/node-client.ts";
import type { PodIpAllocator } from "./hollow-addresses.ts";
import {
  isHollowRunning,
  isTerminal,
  runningPodStatus,
  terminatedPodStatus,
} from "./hollow-pod-status.ts";

const PODS = resourcePath({ version: "v1", resource: "pods" });
const RETRY_MS = 2000;

export interface HollowPodsOptions {
  client: NodeClient;
  nodeName: string;
  hostIP: string;
  ips: PodIpAllocator;
  log?: Logger;
  now?: () => Date;
}

const podPath = (pod: KubeObject) =>
  resourcePath({
    version: "v1",
    resource: "pods",
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
  });

/**
 * The pods bound to one hollow node, "run" without processes: the node's own
 * list+watch (spec.nodeName=<node>, all the Node authorizer allows), each pod
 * reported Running and Ready at once; a pod marked for deletion gets its final
 * status and is then deleted with grace period 0, as the kubelet confirms it.
 * Work is one pod at a time per node (the latest version of each pod), so a
 * thousand nodes do not flood the server at once.
 */
export class HollowPods implements ReflectorSink<KubeObject> {
  readonly #options: HollowPodsOptions;
  readonly #reflector: Reflector<KubeObject>;
  /** Latest version of each pod waiting to be handled, by UID. */
  readonly #pending = new Map<string, KubeObject>();
  #working = false;
  #stopped = false;

  constructor(options: HollowPodsOptions) {
    this.#options = options;
    this.#reflector = new Reflector<KubeObject>(options.client, this, {
      path: PODS,
      fieldSelector: `spec.nodeName=${options.nodeName}`,
      onError: (error) => options.log?.debug("pod watch failed; retrying", { error }),
    });
  }

  start(): void {
    this.#reflector.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending.clear();
    await this.#reflector.stop();
  }

  replace(objects: KubeObject[]): void {
    const present = new Set(objects.map((pod) => pod.metadata?.uid ?? ""));
    for (const pod of objects) this.modified(pod);
    // Gone while we were not watching: their IPs are free again.
    for (const uid of this.#options.ips.uids()) {
      if (!present.has(uid)) this.#options.ips.release(uid);
    }
  }

  added(object: KubeObject): void {
    this.modified(object);
  }

  modified(object: KubeObject): void {
    const uid = object.metadata?.uid;
    if (!uid || this.#stopped) return;
    this.#pending.set(uid, object);
    if (!this.#working) void this.#work();
  }

  deleted(object: KubeObject): void {
    const uid = object.metadata?.uid;
    if (!uid) return;
    this.#pending.delete(uid);
    this.#options.ips.release(uid);
  }

  async #work(): Promise<void> {
    this.#working = true;
    try {
      for (;;) {
        const next = this.#pending.entries().next();
        if (next.done) return;
        const [uid, pod] = next.value;
        this.#pending.delete(uid);
        try {
          await this.#handle(pod);
        } catch (error) {
          if (isNotFound(error)) {
            this.#options.ips.release(uid);
            continue;
          }
          this.#options.log?.warn("updating a hollow pod failed; retrying", {
            pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`,
            error,
          });
          this.#retryLater(uid, pod);
        }
      }
    } finally {
      this.#working = false;
    }
  }

  #retryLater(uid: string, pod: KubeObject): void {
    const timer = setTimeout(() => {
      if (!this.#pending.has(uid)) this.modified(pod);
    }, RETRY_MS);
    timer.unref?.();
  }

  async #handle(pod: KubeObject): Promise<void> {
    const { client, ips, hostIP } = this.#options;
    const uid = pod.metadata?.uid ?? "";
    const now = this.#options.now?.() ?? new Date();
    if (pod.metadata?.deletionTimestamp) {
      if (!isTerminal(pod)) {
        await client.patch(`${podPath(pod)}/status`, terminatedPodStatus(pod, now), "strategic");
      }
      await client.delete(podPath(pod), { gracePeriodSeconds: 0, preconditions: { uid } });
      ips.release(uid);
      return;
    }
    if (isTerminal(pod)) return;
    if (isHollowRunning(pod)) {
      // Found running (this process restarted): keep its IP out of the pool.
      const podIP = (pod.status as { podIP?: string } | undefined)?.podIP ?? "";
      if (ips.adopt(uid, podIP) || podIP === hostIP) return;
    }
    const placement = { hostIP, podIP: ips.allocate(uid) };
    await client.patch(
      `${podPath(pod)}/status`,
      runningPodStatus(pod, placement, now),
      "strategic",
    );
  }
}
