/**
 * The built-in local-path provisioner (k3s' rancher.io/local-path, under the same name
 * so manifests written for k3s work unchanged).
 * Reconciles: claims handed to `rancher.io/local-path` get a PersistentVolume on the
 * node the scheduler picked (`volume.kubernetes.io/selected-node`): a hostPath
 * directory `<root>/pvc-<uid>_<namespace>_<name>` (DirectoryOrCreate, so the node agent
 * makes it when the pod starts), pinned to that node and pre-bound to the claim, which
 * the binder then completes. A Released volume with reclaim policy Delete has its
 * directory removed on its node by a short-lived helper pod (as k3s does), then goes.
 * Also creates the `local-path` StorageClass, the cluster default, if it is missing.
 * Owns: those volumes, helper pods `helper-pod-delete-<pv>` in kube-system, the class.
 * Watches: claims, volumes, StorageClasses, nodes, pods.
 */
import { isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { objectKey } from "../client/object-store.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { IS_DEFAULT_CLASS_ANNOTATION } from "../resources/kinds/storage/default-storage-class.ts";
import { type ControllerClient, ControllerLoop, isAlreadyExists, isResync } from "./controller.ts";
import { EventRecorder } from "./events.ts";
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_DYNAMICALLY_PROVISIONED,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  claimClass,
  claimRefOf,
  claimSpec,
  phaseOf,
  volumeSpec,
} from "./persistent-volume-match.ts";
import type { SharedInformers } from "./shared-informers.ts";

export const LOCAL_PATH_PROVISIONER = "rancher.io/local-path";
export const LOCAL_PATH_CLASS = "local-path";
export const DEFAULT_LOCAL_PATH_ROOT = "/var/lib/kubun/storage";
const HOSTNAME_LABEL = "kubernetes.io/hostname";
const HELPER_NAMESPACE = "kube-system";
const HELPER_PREFIX = "helper-pod-delete-";
/** k3s gives a helper pod two minutes before it counts the cleanup as failed. */
const HELPER_TIMEOUT_MS = 120_000;

const CLASS_KEY = "class";
const CLAIM = "claim:";
const VOLUME = "volume:";

const volumePath = (name?: string) =>
  resourcePath({ version: "v1", resource: "persistentvolumes", name });
const helperPath = (name?: string) =>
  resourcePath({ version: "v1", resource: "pods", namespace: HELPER_NAMESPACE, name });

export interface LocalPathProvisionerOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  /** Where volumes live on every node; default /var/lib/kubun/storage. */
  root?: string;
  now?: () => number;
}

export class LocalPathProvisioner {
  readonly claims: Informer;
  readonly volumes: Informer;
  readonly classes: Informer;
  readonly nodes: Informer;
  readonly pods: Informer;
  readonly loop: ControllerLoop;
  readonly events: EventRecorder;
  readonly root: string;
  readonly #client: ControllerClient;
  readonly #log: Logger;
  readonly #now: () => number;

  constructor(options: LocalPathProvisionerOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.root = (options.root ?? DEFAULT_LOCAL_PATH_ROOT).replace(/\/+$/, "");
    this.events = new EventRecorder({
      client: options.client,
      component: LOCAL_PATH_PROVISIONER,
      log: options.log,
    });
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    const { informers } = options;
    this.claims = informers.informer({
      path: resourcePath({ version: "v1", resource: "persistentvolumeclaims" }),
    });
    this.volumes = informers.informer({ path: volumePath() });
    this.classes = informers.informer({
      path: resourcePath({ group: "storage.k8s.io", version: "v1", resource: "storageclasses" }),
    });
    this.nodes = informers.informer({ path: resourcePath({ version: "v1", resource: "nodes" }) });
    this.pods = informers.informer({ path: resourcePath({ version: "v1", resource: "pods" }) });

    // Like k3s' bundled manifest: the class is put in place when the controllers start.
    this.loop.enqueue(CLASS_KEY);
    const onClaim = (claim: KubeObject) => {
      if (isOurs(claim)) this.loop.enqueue(CLAIM + objectKey(claim));
    };
    this.claims.addEventHandler({
      onAdd: onClaim,
      onUpdate: (old, claim) => {
        if (!isResync(old, claim)) onClaim(claim);
      },
    });
    const onVolume = (volume: KubeObject) => {
      if (isProvisionedHere(volume)) this.loop.enqueue(VOLUME + (volume.metadata?.name ?? ""));
    };
    this.volumes.addEventHandler({
      onAdd: onVolume,
      onUpdate: (old, volume) => {
        if (!isResync(old, volume)) onVolume(volume);
      },
    });
    const onPod = (pod: KubeObject) => {
      const name = pod.metadata?.name ?? "";
      if (pod.metadata?.namespace === HELPER_NAMESPACE && name.startsWith(HELPER_PREFIX)) {
        this.loop.enqueue(VOLUME + name.slice(HELPER_PREFIX.length));
      }
    };
    this.pods.addEventHandler({
      onAdd: onPod,
      onUpdate: (old, pod) => {
        if (!isResync(old, pod)) onPod(pod);
      },
    });
  }

  async sync(key: string): Promise<void> {
    if (key === CLASS_KEY) await this.#ensureClass();
    else if (key.startsWith(CLAIM)) {
      const claim = this.claims.store.get(key.slice(CLAIM.length));
      if (claim && isOurs(claim)) await this.#provision(claim);
    } else if (key.startsWith(VOLUME)) {
      const name = key.slice(VOLUME.length);
      const volume = this.volumes.store.get(name);
      if (volume && isProvisionedHere(volume)) await this.#reclaim(volume);
      else if (!volume) await this.#removeHelper(name);
    }
  }

  async #ensureClass(): Promise<void> {
    if (this.classes.store.get(LOCAL_PATH_CLASS)) return;
    try {
      await this.#client.create(
        resourcePath({ group: "storage.k8s.io", version: "v1", resource: "storageclasses" }),
        localPathStorageClass(),
      );
      this.#log.info("created the default StorageClass", { name: LOCAL_PATH_CLASS });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }

  async #provision(claim: KubeObject): Promise<void> {
    if (claim.metadata?.deletionTimestamp || claimSpec(claim).volumeName) return;
    const name = `pvc-${claim.metadata?.uid}`;
    if (this.volumes.store.get(name)) return;
    const storageClass = this.classes.store.get(claimClass(claim));
    if (!storageClass || storageClass.provisioner !== LOCAL_PATH_PROVISIONER) return;
    const key = objectKey(claim);
    let volume: KubeObject;
    try {
      volume = localPathVolume({
        claim,
        storageClass,
        node: this.#selectedNode(claim),
        root: this.root,
      });
    } catch (error) {
      this.events.event(claim, "Warning", "ProvisioningFailed", (error as Error).message);
      return;
    }
    this.events.event(
      claim,
      "Normal",
      "Provisioning",
      `External provisioner is provisioning volume for claim "${key}"`,
    );
    try {
      await this.#client.create(volumePath(), volume);
    } catch (error) {
      if (!isAlreadyExists(error)) {
        this.events.event(
          claim,
          "Warning",
          "ProvisioningFailed",
          `failed to provision volume with StorageClass "${storageClass.metadata?.name}": ${(error as Error).message}`,
        );
        throw error;
      }
    }
    this.events.event(
      claim,
      "Normal",
      "ProvisioningSucceeded",
      `Successfully provisioned volume ${name}`,
    );
  }

  #selectedNode(claim: KubeObject): KubeObject {
    const nodeName = claim.metadata?.annotations?.[ANN_SELECTED_NODE];
    if (!nodeName) throw new Error("configuration error, no node was specified");
    const node = this.nodes.store.get(nodeName);
    if (!node) throw new Error(`failed to get node ${nodeName}: node "${nodeName}" not found`);
    return node;
  }

  /**
   * Deletes a Released volume's directory with a helper pod on its node, then the
   * volume. A node that is gone has nothing left to clean.
   */
  async #reclaim(volume: KubeObject): Promise<void> {
    const spec = volumeSpec(volume);
    if (phaseOf(volume) !== "Released" || spec.persistentVolumeReclaimPolicy !== "Delete") return;
    if (volume.metadata?.deletionTimestamp) return;
    const name = volume.metadata?.name ?? "";
    const location = this.#locate(volume);
    if (!location) {
      this.#log.warn("deleting a local volume whose node or directory is unknown", {
        volume: name,
      });
      await this.#deleteVolume(name);
      return;
    }
    const helper = this.pods.store.get(`${HELPER_NAMESPACE}/${HELPER_PREFIX}${name}`);
    if (!helper) {
      await this.#client.create(helperPath(), cleanupPod(name, location)).catch((error) => {
        if (!isAlreadyExists(error)) throw error;
      });
      this.loop.queue.addAfter(VOLUME + name, HELPER_TIMEOUT_MS);
      return;
    }
    const phase = phaseOf(helper);
    if (phase === "Succeeded") {
      await this.#deleteVolume(name);
      await this.#removeHelper(name);
      return;
    }
    const started = Date.parse(helper.metadata?.creationTimestamp ?? "");
    const timedOut = Number.isFinite(started) && this.#now() - started > HELPER_TIMEOUT_MS;
    if (phase !== "Failed" && !timedOut) return;
    await this.#removeHelper(name);
    const message = `failed to delete volume ${name}: ${
      phase === "Failed"
        ? `the helper pod failed to remove ${location.path} on node ${location.node}`
        : `the helper pod did not remove ${location.path} on node ${location.node} in time`
    }`;
    this.events.event(volume, "Warning", "VolumeFailedDelete", message);
    throw new Error(message);
  }

  /** The node and directory of a volume this provisioner made, if they check out. */
  #locate(volume: KubeObject): { node: string; path: string } | undefined {
    const path = volumeSpec(volume).hostPath?.path ?? "";
    const base = path.slice(this.root.length + 1);
    if (!path.startsWith(`${this.root}/`) || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(base)) {
      return undefined;
    }
    const hostname = volumeHostname(volume);
    if (!hostname) return undefined;
    const node = this.nodes.store
      .list()
      .find(
        (n) => n.metadata?.name === hostname || n.metadata?.labels?.[HOSTNAME_LABEL] === hostname,
      );
    if (!node) return undefined;
    return { node: node.metadata?.name ?? "", path };
  }

  async #deleteVolume(name: string): Promise<void> {
    try {
      await this.#client.delete(volumePath(name));
      this.#log.info("deleted local volume", { volume: name });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async #removeHelper(volumeName: string): Promise<void> {
    const name = `${HELPER_PREFIX}${volumeName}`;
    if (!this.pods.store.get(`${HELPER_NAMESPACE}/${name}`)) return;
    try {
      await this.#client.delete(helperPath(name), { gracePeriodSeconds: 0 });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

function isOurs(claim: KubeObject): boolean {
  const annotations = claim.metadata?.annotations ?? {};
  return (
    (annotations[ANN_STORAGE_PROVISIONER] ?? annotations[ANN_BETA_STORAGE_PROVISIONER]) ===
    LOCAL_PATH_PROVISIONER
  );
}

function isProvisionedHere(volume: KubeObject): boolean {
  return volume.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED] === LOCAL_PATH_PROVISIONER;
}

function volumeHostname(volume: KubeObject): string | undefined {
  for (const term of volumeSpec(volume).nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    for (const r of term.matchExpressions ?? []) {
      if (r.key === HOSTNAME_LABEL && r.operator === "In" && r.values?.length === 1) {
        return r.values[0];
      }
    }
  }
  return undefined;
}

/** The class k3s ships: default, bound once a pod is scheduled, deleted with its claim. */
export function localPathStorageClass(): KubeObject {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name: LOCAL_PATH_CLASS,
      annotations: { [IS_DEFAULT_CLASS_ANNOTATION]: "true" },
    },
    provisioner: LOCAL_PATH_PROVISIONER,
    volumeBindingMode: "WaitForFirstConsumer",
    reclaimPolicy: "Delete",
  };
}

/** Access modes a directory on one node can honour. */
const SUPPORTED_MODES = new Set(["ReadWriteOnce", "ReadWriteOncePod"]);

/**
 * The volume for a claim on `node`: a directory named after the volume and the claim,
 * reachable only from that node, as big as the claim asks, pre-bound to the claim.
 */
export function localPathVolume(options: {
  claim: KubeObject;
  storageClass: KubeObject;
  node: KubeObject;
  root: string;
}): KubeObject {
  const { claim, storageClass, node, root } = options;
  const spec = claimSpec(claim);
  const modes = spec.accessModes ?? [];
  if (modes.some((mode) => !SUPPORTED_MODES.has(mode))) {
    throw new Error(
      "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes",
    );
  }
  if (spec.volumeMode === "Block") throw new Error("Block volume mode is not supported");
  const name = `pvc-${claim.metadata?.uid}`;
  const nodeName = node.metadata?.name ?? "";
  const hostname = node.metadata?.labels?.[HOSTNAME_LABEL] ?? nodeName;
  const storage = spec.resources?.requests?.storage;
  const mountOptions = storageClass.mountOptions;
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name,
      annotations: {
        [ANN_DYNAMICALLY_PROVISIONED]: LOCAL_PATH_PROVISIONER,
        "local.path.provisioner/selected-node": nodeName,
      },
    },
    spec: {
      claimRef: claimRefOf(claim),
      storageClassName: storageClass.metadata?.name,
      persistentVolumeReclaimPolicy: storageClass.reclaimPolicy ?? "Delete",
      accessModes: modes,
      volumeMode: "Filesystem",
      capacity: storage ? { storage } : {},
      ...(Array.isArray(mountOptions) ? { mountOptions } : {}),
      hostPath: {
        path: `${root}/${name}_${claim.metadata?.namespace}_${claim.metadata?.name}`,
        type: "DirectoryOrCreate",
      },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: HOSTNAME_LABEL, operator: "In", values: [hostname] }] },
          ],
        },
      },
    },
  };
}

/** A pod on the volume's node that removes its directory and exits. */
export function cleanupPod(volumeName: string, location: { node: string; path: string }) {
  const slash = location.path.lastIndexOf("/");
  const parent = location.path.slice(0, slash);
  const base = location.path.slice(slash + 1);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${HELPER_PREFIX}${volumeName}`,
      namespace: HELPER_NAMESPACE,
      labels: { app: "local-path-provisioner", "local-path-provisioner/volume": volumeName },
    },
    spec: {
      nodeName: location.node,
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      tolerations: [{ operator: "Exists" }],
      containers: [
        {
          name: "helper-pod",
          image: "busybox",
          command: ["rm", "-rf", `/data/${base}`],
          volumeMounts: [{ name: "data", mountPath: "/data" }],
        },
      ],
      volumes: [{ name: "data", hostPath: { path: parent, type: "DirectoryOrCreate" } }],
    },
  };
}
