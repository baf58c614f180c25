/**
 * The pods bound to this node: one PodWorker each, fed by a watch of the pods
 * with `spec.nodeName` = this node (the only pod list the Node authorizer
 * allows). On start, the runtime's surviving containers are handed back to
 * their pods' workers, and those of pods deleted meanwhile are stopped.
 */
import type { ResourceClient } from "../../client/api-client.ts";
import { isNotFound } from "../../client/api-error.ts";
import { Informer } from "../../client/informer.ts";
import { resourcePath } from "../../client/resource-path.ts";
import type { Logger } from "../../log/logger.ts";
import type { KubeObject } from "../../resources/kind.ts";
import type { ContainerHandle, ContainerRuntime } from "../runtime/runtime.ts";
import type { ContainerLocator, LocatedPod } from "../server/container-locator.ts";
import { type LogRotationLimits, rotateLog } from "./log-rotation.ts";
import { PodWorker, type PodWorkerDeps } from "./pod-worker.ts";
import { admissionFailure } from "./resources.ts";
import { isMirrorPod, StaticPods } from "./static-pods.ts";

export interface PodManagerOptions {
  client: ResourceClient;
  nodeName: string;
  runtime: ContainerRuntime;
  volumes: PodWorkerDeps["volumes"] & { refresh(pod: KubeObject): Promise<void> };
  environment: PodWorkerDeps["environment"];
  argv: PodWorkerDeps["argv"];
  logPath: PodWorkerDeps["logPath"];
  hostIp: string;
  capacity: { cpuMilli: bigint; memoryBytes: number; pods: number };
  log: Logger;
  /** When container logs rotate (default 10 MiB, 5 files). */
  logRotation?: LogRotationLimits;
  /** How often mounted configMaps, secrets and tokens are re-checked (default 10 s). */
  refreshMs?: number;
  /** Directory of static pod manifests (`--pod-manifest-path`). */
  podManifestPath?: string;
  /** How often it is re-read (default 20 s). */
  staticPodsIntervalMs?: number;
}

const podPath = (pod: KubeObject, subresource?: string) =>
  resourcePath({
    version: "v1",
    resource: "pods",
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    ...(subresource ? { subresource } : {}),
  });

export class PodManager implements ContainerLocator {
  readonly pods: Informer;
  private readonly workers = new Map<string, PodWorker>();
  private refreshTimer: ReturnType<typeof setInterval> | null = null;
  private adopted = new Map<string, ContainerHandle[]>();
  /** The second source of pods: files, run by uid; their mirror pods are not run. */
  private readonly statics: StaticPods | null;

  constructor(private readonly options: PodManagerOptions) {
    this.pods = new Informer(options.client, {
      path: resourcePath({ version: "v1", resource: "pods" }),
      fieldSelector: `spec.nodeName=${options.nodeName}`,
    });
    this.statics = options.podManifestPath
      ? new StaticPods({
          dir: options.podManifestPath,
          nodeName: options.nodeName,
          client: options.client,
          log: options.log.child("static"),
          ...(options.staticPodsIntervalMs ? { intervalMs: options.staticPodsIntervalMs } : {}),
          run: (pod) => {
            // The same manifest back after its removal: a fresh worker, not the finished one.
            const uid = pod.metadata?.uid ?? "";
            if (this.workers.get(uid)?.done) this.workers.delete(uid);
            this.observe(pod);
          },
          stop: (uid) => this.workers.get(uid)?.gone(),
          apiPods: () => this.pods.store.list(),
        })
      : null;
    this.pods.addEventHandler({
      onAdd: (pod) => (isMirrorPod(pod) ? this.statics?.mirrorChanged() : this.observe(pod)),
      onUpdate: (_, pod) => (isMirrorPod(pod) ? this.statics?.mirrorChanged() : this.observe(pod)),
      onDelete: (pod) =>
        isMirrorPod(pod)
          ? this.statics?.mirrorChanged()
          : this.workers.get(pod.metadata?.uid ?? "")?.gone(),
    });
  }

  async start(): Promise<void> {
    for (const handle of await this.options.runtime.recover()) {
      const list = this.adopted.get(handle.podUid) ?? [];
      list.push(handle);
      this.adopted.set(handle.podUid, list);
    }
    // Static pods run before (and without) the API.
    await this.statics?.start();
    this.pods.start();
    await this.pods.waitForSync();
    this.statics?.apiSynced();
    await this.stopOrphans();
    this.refreshTimer = setInterval(() => void this.refresh(), this.options.refreshMs ?? 10_000);
  }

  async stop(): Promise<void> {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.statics?.stop();
    await this.pods.stop();
  }

  /** ContainerLocator: the pods this node runs, for logs, exec, attach and port-forward. */
  findPod(namespace: string, name: string, uid?: string): LocatedPod | null {
    for (const worker of this.workers.values()) {
      const meta = worker.current.metadata;
      if (worker.done || meta?.namespace !== namespace || meta.name !== name) continue;
      if (uid && meta.uid !== uid) continue;
      return worker.locate();
    }
    return null;
  }

  /** ContainerLocator: every pod this node runs, for /stats/summary. */
  listPods(): LocatedPod[] {
    return [...this.workers.values()].filter((w) => !w.done).map((w) => w.locate());
  }

  private observe(pod: KubeObject): void {
    const uid = pod.metadata?.uid ?? "";
    let worker = this.workers.get(uid);
    if (!worker) {
      worker = new PodWorker(pod, this.deps(), this.adopted.get(uid) ?? []);
      this.adopted.delete(uid);
      this.workers.set(uid, worker);
    }
    worker.update(pod);
  }

  /** Containers whose pods were deleted while the agent was away. */
  private async stopOrphans(): Promise<void> {
    for (const [uid, handles] of this.adopted) {
      for (const handle of handles) {
        this.options.log.info("stopping a container of a pod that is gone", {
          pod: `${handle.namespace}/${handle.podName}`,
          container: handle.containerName,
        });
        handle.kill("SIGKILL");
        await handle.exited;
        await this.options.runtime.remove(handle);
      }
      await this.options.volumes.tearDown(uid).catch(() => {});
    }
    this.adopted.clear();
  }

  private async refresh(): Promise<void> {
    for (const [uid, worker] of this.workers) {
      if (worker.done) {
        this.workers.delete(uid);
        continue;
      }
      await this.options.volumes
        .refresh(worker.current)
        .catch((error) => this.options.log.debug("volume refresh failed", { error }));
      await this.rotateLogs(worker);
      worker.kick();
    }
  }

  private async rotateLogs(worker: PodWorker): Promise<void> {
    for (const container of worker.locate().containers) {
      if (!container.current?.handle) continue;
      await rotateLog(container.current.logPath, this.options.logRotation).catch((error) =>
        this.options.log.warn("log rotation failed", { path: container.current?.logPath, error }),
      );
    }
  }

  private running(except: string): KubeObject[] {
    return [...this.workers.values()]
      .filter((w) => w.uid !== except && !w.done)
      .map((w) => w.current)
      .filter((pod) => {
        const phase = (pod.status as { phase?: string } | undefined)?.phase;
        return phase !== "Succeeded" && phase !== "Failed";
      });
  }

  private deps(): PodWorkerDeps {
    const { client, log } = this.options;
    return {
      runtime: this.options.runtime,
      volumes: this.options.volumes,
      environment: this.options.environment,
      argv: this.options.argv,
      logPath: this.options.logPath,
      hostIp: this.options.hostIp,
      log,
      admit: (pod) =>
        admissionFailure(pod, this.running(pod.metadata?.uid ?? ""), this.options.capacity),
      writeStatus: async (pod, status) => {
        if (this.statics?.owns(pod)) return this.statics.writeStatus(pod, status);
        try {
          await client.patch(podPath(pod, "status"), { status }, "merge");
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      },
      confirmDeletion: async (pod) => {
        try {
          await client.delete(podPath(pod), {
            gracePeriodSeconds: 0,
            preconditions: { uid: pod.metadata?.uid ?? "" },
          });
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      },
    };
  }
}
