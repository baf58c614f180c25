/**
 * The pod volumes of one node agent (the kubelet's volume manager and volume
 * plugins): sets a pod's volumes up as host directories before its containers
 * start, keeps configMap / secret / downwardAPI / projected content current
 * while it runs (renewing projected tokens), and removes it all at the end.
 *
 * Each pod gets `<podsDir>/<podUid>/volumes/<plugin>/<volume>`, with the
 * kubelet's plugin directory names (`kubernetes.io~configmap`, …); hostPath
 * and persistentVolumeClaim volumes are host paths outside it.
 */
import { access, mkdir, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import type { ResourceClient } from "../../client/api-client.ts";
import type { Logger } from "../../log/logger.ts";
import type { KubeObject } from "../../resources/kind.ts";
import type { ResourceList } from "../env/resource-fields.ts";
import { type Payload, writeAtomically } from "./atomic-writer.ts";
import { contentPayload, contentPluginOf, memoryBackedPlugins } from "./content-volumes.ts";
import { setUpEmptyDir } from "./empty-dir.ts";
import { setUpHostPath } from "./host-path.ts";
import { MemoryBacking } from "./memory-backing.ts";
import { mountPointsUnder, unmount } from "./mounts.ts";
import { setUpClaim } from "./persistent-volume-claim.ts";
import { PodLocks } from "./pod-locks.ts";
import { ServiceAccountTokens } from "./service-account-tokens.ts";
import type { Volume } from "./volume-types.ts";

export interface VolumeManagerOptions {
  /** This agent's pods directory (the kubelet's /var/lib/kubelet/pods). */
  podsDir: string;
  client: ResourceClient;
  /** This agent's Node (log context). */
  nodeName: string;
  log: Logger;
  /** The Node's allocatable: unset container limits read as these in the downward API. */
  nodeAllocatable?: ResourceList;
  /** Milliseconds since the epoch (token renewal); tests move it forward. */
  now?: () => number;
}

/** The plugin directory names under a pod's volumes dir, as the kubelet's. */
const pluginDirs = {
  emptyDir: "kubernetes.io~empty-dir",
  configMap: "kubernetes.io~configmap",
  secret: "kubernetes.io~secret",
  downwardAPI: "kubernetes.io~downward-api",
  projected: "kubernetes.io~projected",
} as const;

/**
 * A volume that could not be set up, worded as the kubelet's FailedMount
 * events: `MountVolume.SetUp failed for volume "config" : configmap "app" not found`.
 */
export class VolumeSetUpError extends Error {
  readonly reason = "FailedMount";

  constructor(readonly failures: readonly { volume: string; message: string }[]) {
    super(
      failures
        .map((f) => `MountVolume.SetUp failed for volume "${f.volume}" : ${f.message}`)
        .join("; "),
    );
    this.name = "VolumeSetUpError";
  }
}

export class VolumeManager {
  readonly #options: VolumeManagerOptions;
  readonly #tokens: ServiceAccountTokens;
  readonly #memory: MemoryBacking;
  readonly #locks = new PodLocks();

  constructor(options: VolumeManagerOptions) {
    this.#options = options;
    this.#memory = new MemoryBacking(options.log);
    this.#tokens = new ServiceAccountTokens(options.client, options.log, options.now ?? Date.now);
  }

  /** What this node cannot do for volumes (e.g. no tmpfs), for the Node's conditions. */
  get limitations(): readonly string[] {
    return this.#memory.limitations;
  }

  /** `<podsDir>/<podUid>/volumes`. */
  podVolumesDir(podUid: string): string {
    return join(this.#options.podsDir, checkedUid(podUid), "volumes");
  }

  /** Volume name → host path for every volume of the pod; throws VolumeSetUpError. */
  async setUp(pod: KubeObject): Promise<Map<string, string>> {
    const uid = checkedUid(pod.metadata?.uid ?? "");
    return this.#locks.run(uid, async () => {
      const paths = new Map<string, string>();
      const failures: { volume: string; message: string }[] = [];
      for (const volume of volumesOf(pod)) {
        try {
          paths.set(volume.name, await this.#setUpVolume(pod, volume));
        } catch (error) {
          const message = (error as Error).message;
          failures.push({ volume: volume.name, message });
          this.#options.log.debug("volume set-up failed", {
            node: this.#options.nodeName,
            pod: podName(pod),
            volume: volume.name,
            error: message,
          });
        }
      }
      if (failures.length > 0) throw new VolumeSetUpError(failures);
      return paths;
    });
  }

  /**
   * Re-projects the content volumes that were set up (configMap, secret,
   * downwardAPI, projected) from the current objects and `pod`, renewing
   * tokens that are due; unchanged content is left alone. Throws
   * VolumeSetUpError for the volumes that could not be updated (they keep
   * their previous content).
   */
  async refresh(pod: KubeObject): Promise<void> {
    const uid = checkedUid(pod.metadata?.uid ?? "");
    return this.#locks.run(uid, async () => {
      if (!(await exists(this.podVolumesDir(uid)))) return;
      const failures: { volume: string; message: string }[] = [];
      for (const volume of volumesOf(pod)) {
        const plugin = contentPluginOf(volume);
        if (!plugin) continue;
        const dir = this.#volumeDir(uid, plugin, volume.name);
        // Only volumes that were set up: a failed one is the pod worker's to retry.
        if (!(await exists(join(dir, "..data")))) continue;
        try {
          if (await writeAtomically(dir, await this.#payload(pod, volume))) {
            this.#options.log.debug("volume content updated", {
              pod: podName(pod),
              volume: volume.name,
            });
          }
        } catch (error) {
          failures.push({ volume: volume.name, message: (error as Error).message });
        }
      }
      if (failures.length > 0) throw new VolumeSetUpError(failures);
    });
  }

  /** Unmounts the pod's tmpfs volumes and removes its volume directories. */
  async tearDown(podUid: string): Promise<void> {
    const uid = checkedUid(podUid);
    return this.#locks.run(uid, async () => {
      const podDir = join(this.#options.podsDir, uid);
      const failed: string[] = [];
      for (const point of await mountPointsUnder(podDir)) {
        await unmount(point).catch((error) => failed.push((error as Error).message));
      }
      // Never delete through a mount that is still there: it would empty the mounted filesystem.
      if (failed.length > 0) throw new Error(`tearing down volumes: ${failed.join("; ")}`);
      await rm(join(podDir, "volumes"), { recursive: true, force: true });
      await rmdir(podDir).catch(() => {});
      this.#tokens.forget(uid);
    });
  }

  async #setUpVolume(pod: KubeObject, volume: Volume): Promise<string> {
    const uid = pod.metadata?.uid ?? "";
    const allocatable = this.#options.nodeAllocatable ?? {};
    if (volume.emptyDir !== undefined) {
      const dir = this.#volumeDir(uid, "emptyDir", volume.name);
      return setUpEmptyDir(dir, volume.emptyDir, pod, this.#memory, allocatable);
    }
    if (volume.hostPath !== undefined) return setUpHostPath(volume.hostPath);
    if (volume.persistentVolumeClaim !== undefined) {
      const namespace = pod.metadata?.namespace ?? "default";
      return setUpClaim(this.#options.client, namespace, volume.persistentVolumeClaim.claimName);
    }
    const plugin = contentPluginOf(volume);
    if (!plugin) {
      const kind = Object.keys(volume).find((key) => key !== "name") ?? "unknown";
      throw new Error(`volume type "${kind}" is not supported by this node`);
    }
    // The payload first: a missing object must not leave an empty volume behind.
    const payload = await this.#payload(pod, volume);
    const dir = this.#volumeDir(uid, plugin, volume.name);
    await mkdir(dir, { recursive: true });
    if (memoryBackedPlugins.has(plugin)) await this.#memory.ensure(dir);
    await writeAtomically(dir, payload);
    return dir;
  }

  #payload(pod: KubeObject, volume: Volume): Promise<Payload> {
    return contentPayload(pod, volume, {
      client: this.#options.client,
      tokens: this.#tokens,
      nodeAllocatable: this.#options.nodeAllocatable ?? {},
    });
  }

  #volumeDir(uid: string, plugin: keyof typeof pluginDirs, name: string): string {
    return join(this.podVolumesDir(uid), pluginDirs[plugin], checkedName(name));
  }
}

function volumesOf(pod: KubeObject): Volume[] {
  return ((pod.spec as { volumes?: Volume[] } | undefined)?.volumes ?? []).filter(
    (volume) => typeof volume?.name === "string",
  );
}

/** Path components from the API are checked before they reach the file system. */
function checkedUid(uid: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(uid)) throw new Error(`invalid pod uid "${uid}"`);
  return uid;
}

function checkedName(name: string): string {
  if (name === "" || name.includes("/") || name.startsWith(".")) {
    throw new Error(`invalid volume name "${name}"`);
  }
  return name;
}

function podName(pod: KubeObject): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
