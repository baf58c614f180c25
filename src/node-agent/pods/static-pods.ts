/**
 * Static pods (the kubelet's file source): every *.yaml, *.yml and *.json file
 * in `--pod-manifest-path` holding a Pod runs on this node without the API.
 * Each is named `<name>-<node>`, bound to this node, and given a uid hashed
 * from its manifest, so a changed file is a new pod that replaces the old one.
 * The API sees each through a mirror pod (annotation kubernetes.io/config.mirror,
 * owned by the Node) that carries its status: recreated when deleted, deleted
 * when the file goes. The directory is re-read every 20 s.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { ResourceClient } from "../../client/api-client.ts";
import { ApiError, isConflict, isNotFound } from "../../client/api-error.ts";
import { resourcePath } from "../../client/resource-path.ts";
import type { Logger } from "../../log/logger.ts";
import type { KubeObject } from "../../resources/kind.ts";

export const configSourceAnnotation = "kubernetes.io/config.source";
export const configHashAnnotation = "kubernetes.io/config.hash";
export const configSeenAnnotation = "kubernetes.io/config.seen";
export const configMirrorAnnotation = "kubernetes.io/config.mirror";

const manifestExtensions = /\.(ya?ml|json)$/;

export const isMirrorPod = (pod: KubeObject): boolean =>
  Object.hasOwn(pod.metadata?.annotations ?? {}, configMirrorAnnotation);

/**
 * The static pod a manifest describes on `nodeName`, or an Error saying why
 * the file holds none. The uid (and config hash) is an md5 of the manifest's
 * pod, the node and the file, as the kubelet derives it.
 */
export function staticPodFromManifest(
  text: string,
  file: string,
  nodeName: string,
  seen: Date = new Date(),
): KubeObject {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new Error(`${file}: expected a Pod object`);
  }
  const manifest = document as KubeObject;
  if (manifest.kind !== "Pod" || (manifest.apiVersion ?? "v1") !== "v1") {
    throw new Error(`${file}: expected kind Pod (apiVersion v1), not ${manifest.kind ?? "none"}`);
  }
  const name = manifest.metadata?.name;
  if (!name) throw new Error(`${file}: the pod has no metadata.name`);
  const spec = manifest.spec as { containers?: unknown } | undefined;
  if (!Array.isArray(spec?.containers) || spec.containers.length === 0) {
    throw new Error(`${file}: the pod has no containers`);
  }
  const hasher = new Bun.CryptoHasher("md5");
  hasher.update(JSON.stringify(manifest));
  hasher.update(`host:${nodeName}`);
  hasher.update(`file:${file}`);
  const hash = hasher.digest("hex");
  const {
    uid: _uid,
    resourceVersion: _rv,
    creationTimestamp: _ct,
    ...metadata
  } = manifest.metadata ?? {};
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...metadata,
      name: `${name}-${nodeName}`,
      namespace: manifest.metadata?.namespace || "default",
      uid: hash,
      annotations: {
        ...manifest.metadata?.annotations,
        [configSourceAnnotation]: "file",
        [configHashAnnotation]: hash,
        [configSeenAnnotation]: seen.toISOString(),
      },
    },
    spec: { ...(manifest.spec as Record<string, unknown>), nodeName },
  };
}

/** The static pods of a directory (missing: none); files that hold none are logged and skipped. */
export async function readManifestDir(
  dir: string,
  nodeName: string,
  log: Logger,
): Promise<KubeObject[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => manifestExtensions.test(f) && !f.startsWith("."));
  } catch (error) {
    log.warn("cannot read the pod manifest directory", { dir, error });
    return [];
  }
  const pods: KubeObject[] = [];
  const names = new Set<string>();
  for (const file of files.sort()) {
    const path = join(dir, file);
    try {
      const pod = staticPodFromManifest(await readFile(path, "utf8"), path, nodeName);
      const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      if (names.has(key)) throw new Error(`${path}: another manifest already defines pod ${key}`);
      names.add(key);
      pods.push(pod);
    } catch (error) {
      log.warn("skipping a static pod manifest", { error: (error as Error).message });
    }
  }
  return pods;
}

export interface StaticPodsOptions {
  dir: string;
  nodeName: string;
  client: ResourceClient;
  log: Logger;
  /** How often the directory is re-read (default 20 s). */
  intervalMs?: number;
  /** Starts a pod worker for a static pod. */
  run(pod: KubeObject): void;
  /** Stops the worker of a static pod whose file is gone or changed. */
  stop(uid: string): void;
  /** The API pods on this node (the pod informer's store), mirror pods among them. */
  apiPods(): KubeObject[];
}

interface Entry {
  pod: KubeObject;
  status?: Record<string, unknown>;
  /** The status last written to the mirror pod, as JSON. */
  written?: string;
}

const podPath = (namespace: string, name?: string, subresource?: string) =>
  resourcePath({
    version: "v1",
    resource: "pods",
    namespace,
    ...(name ? { name } : {}),
    ...(subresource ? { subresource } : {}),
  });

export class StaticPods {
  private readonly entries = new Map<string, Entry>();
  /** Every uid ever run from a file: their statuses never go to the API as themselves. */
  private readonly uids = new Set<string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private mirrorsReady = false;
  private syncing: Promise<void> | null = null;
  private again = false;
  private nodeUid = "";

  constructor(private readonly options: StaticPodsOptions) {}

  /** Reads the directory and runs its pods (no API needed), then re-reads periodically. */
  async start(): Promise<void> {
    await this.reread();
    this.timer = setInterval(() => {
      void this.reread().then(() => this.syncMirrors());
    }, this.options.intervalMs ?? 20_000);
  }

  /** The pod informer has synced: mirror pods can be reconciled. */
  apiSynced(): void {
    this.mirrorsReady = true;
    this.syncMirrors();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.mirrorsReady = false;
  }

  owns(pod: KubeObject): boolean {
    return this.uids.has(pod.metadata?.uid ?? "");
  }

  /** A static pod's status goes to its mirror pod (now if it exists, else once created). */
  async writeStatus(pod: KubeObject, status: Record<string, unknown>): Promise<void> {
    const entry = this.entries.get(pod.metadata?.uid ?? "");
    if (!entry) return;
    entry.status = status;
    const mirror = this.mirrorOf(entry);
    if (!mirror || !this.current(entry, mirror)) return;
    // The API may be away: the pod runs regardless, and the next mirror sync writes the status.
    await this.patchStatus(entry).catch((error) =>
      this.options.log.debug("mirror pod status not written", { pod: this.key(pod), error }),
    );
  }

  /** A mirror pod changed or went away: reconcile. */
  mirrorChanged(): void {
    this.syncMirrors();
  }

  private async reread(): Promise<void> {
    const { dir, nodeName, log } = this.options;
    const pods = await readManifestDir(dir, nodeName, log);
    const wanted = new Set(pods.map((p) => p.metadata?.uid ?? ""));
    for (const [uid, entry] of this.entries) {
      if (wanted.has(uid)) continue;
      log.info("static pod removed", { pod: entry.pod.metadata?.name });
      this.entries.delete(uid);
      this.options.stop(uid);
    }
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? "";
      if (this.entries.has(uid)) continue;
      log.info("static pod added", { pod: pod.metadata?.name, uid });
      this.entries.set(uid, { pod });
      this.uids.add(uid);
      this.options.run(pod);
    }
  }

  /** Serial: a request while one runs asks for another pass. */
  private syncMirrors(): void {
    if (!this.mirrorsReady) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = this.reconcileMirrors()
      .catch((error) => this.options.log.warn("mirror pod sync failed; will retry", { error }))
      .finally(() => {
        this.syncing = null;
        if (this.again) {
          this.again = false;
          this.syncMirrors();
        }
      });
  }

  private async reconcileMirrors(): Promise<void> {
    const { client, log } = this.options;
    const byName = new Map<string, Entry>();
    for (const entry of this.entries.values()) byName.set(this.key(entry.pod), entry);
    // Stale mirrors: no static pod any more, an older manifest, or deleted by someone.
    for (const pod of this.options.apiPods()) {
      if (!isMirrorPod(pod)) continue;
      const entry = byName.get(this.key(pod));
      if (entry && this.current(entry, pod)) continue;
      log.info("deleting mirror pod", { pod: this.key(pod) });
      await client
        .delete(podPath(pod.metadata?.namespace ?? "", pod.metadata?.name ?? ""), {
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata?.uid ?? "" },
        })
        .catch((error) => {
          if (!isNotFound(error) && !isConflict(error)) throw error;
        });
    }
    for (const entry of this.entries.values()) {
      const mirror = this.mirrorOf(entry);
      if (!mirror) {
        await this.createMirror(entry);
      } else if (this.current(entry, mirror) && entry.status) {
        if (JSON.stringify(entry.status) !== entry.written) await this.patchStatus(entry);
      }
    }
  }

  private async createMirror(entry: Entry): Promise<void> {
    const { client, nodeName, log } = this.options;
    const meta = entry.pod.metadata ?? {};
    if (!this.nodeUid) {
      const node = await client.get(
        resourcePath({ version: "v1", resource: "nodes", name: nodeName }),
      );
      this.nodeUid = node.metadata?.uid ?? "";
    }
    const { uid: _uid, ...metadata } = meta;
    const mirror: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        ...metadata,
        annotations: { ...meta.annotations, [configMirrorAnnotation]: meta.uid ?? "" },
        ownerReferences: [
          { apiVersion: "v1", kind: "Node", name: nodeName, uid: this.nodeUid, controller: true },
        ],
      },
      spec: entry.pod.spec,
    };
    try {
      await client.create(podPath(meta.namespace ?? ""), mirror);
    } catch (error) {
      // Still there (its deletion not seen yet): the watch brings another pass.
      if (error instanceof ApiError && error.code === 409) return;
      if (error instanceof ApiError && error.message.includes("UID mismatch")) this.nodeUid = "";
      throw error;
    }
    log.info("created mirror pod", { pod: this.key(entry.pod) });
    entry.written = undefined;
    if (entry.status) await this.patchStatus(entry);
  }

  private async patchStatus(entry: Entry): Promise<void> {
    const text = JSON.stringify(entry.status);
    const meta = entry.pod.metadata ?? {};
    try {
      await this.options.client.patch(
        podPath(meta.namespace ?? "", meta.name ?? "", "status"),
        { status: entry.status },
        "merge",
      );
      entry.written = text;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  private mirrorOf(entry: Entry): KubeObject | undefined {
    const key = this.key(entry.pod);
    return this.options.apiPods().find((p) => isMirrorPod(p) && this.key(p) === key);
  }

  /** A mirror of this very manifest, not being deleted. */
  private current(entry: Entry, mirror: KubeObject): boolean {
    return (
      mirror.metadata?.annotations?.[configMirrorAnnotation] === entry.pod.metadata?.uid &&
      !mirror.metadata?.deletionTimestamp
    );
  }

  private key(pod: KubeObject): string {
    return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
  }
}
