/**
 * PersistentVolume binder (upstream's pkg/controller/volume/persistentvolume).
 * Reconciles: every claim with a volume and every volume with a phase. An unbound
 * claim gets the smallest fitting Available volume (or the one it names, or that names
 * it); with a WaitForFirstConsumer class it waits for the scheduler to pick a node
 * (`volume.kubernetes.io/selected-node`) and then takes a volume usable there; when
 * nothing fits and its class has a provisioner, the claim is handed to that provisioner
 * (`volume.kubernetes.io/storage-provisioner`). A volume whose claim is gone is
 * Released; Retain keeps it, Delete is the provisioner's job for provisioned volumes.
 * Claims created without a class before a default class existed get the default.
 * Owns: the binding on both sides (claimRef, volumeName, the bind annotations) and
 * both statuses. Watches: claims, volumes, StorageClasses; reads nodes.
 */
import { isConflict, isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { objectKey } from "../client/object-store.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { defaultStorageClass } from "../resources/kinds/storage/default-storage-class.ts";
import { type ControllerClient, ControllerLoop, isResync } from "./controller.ts";
import { EventRecorder } from "./events.ts";
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_DYNAMICALLY_PROVISIONED,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  claimClass,
  claimRefOf,
  claimSpec,
  findBestMatch,
  isVolumeBoundToClaim,
  phaseOf,
  volumeMismatch,
  volumeModeMismatch,
  volumeSpec,
} from "./persistent-volume-match.ts";
import type { SharedInformers } from "./shared-informers.ts";

const CLAIM = "claim:";
const VOLUME = "volume:";

const claimPath = (namespace: string, name?: string) =>
  resourcePath({ version: "v1", resource: "persistentvolumeclaims", namespace, name });
const volumePath = (name?: string) =>
  resourcePath({ version: "v1", resource: "persistentvolumes", name });

/** Seconds precision, as metav1.Time serialises. */
const timestamp = () => `${new Date().toISOString().slice(0, 19)}Z`;

export interface PersistentVolumeBinderOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
}

export class PersistentVolumeBinder {
  readonly claims: Informer;
  readonly volumes: Informer;
  readonly classes: Informer;
  readonly nodes: Informer;
  readonly loop: ControllerLoop;
  readonly events: EventRecorder;
  readonly #client: ControllerClient;
  readonly #log: Logger;

  constructor(options: PersistentVolumeBinderOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.events = new EventRecorder({
      client: options.client,
      component: "persistentvolume-controller",
      log: options.log,
    });
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    const { informers } = options;
    this.claims = informers.informer({ path: claimPath("") });
    this.volumes = informers.informer({ path: volumePath() });
    this.classes = informers.informer({
      path: resourcePath({ group: "storage.k8s.io", version: "v1", resource: "storageclasses" }),
    });
    this.nodes = informers.informer({ path: resourcePath({ version: "v1", resource: "nodes" }) });

    this.claims.addEventHandler({
      onAdd: (claim) => this.loop.enqueue(CLAIM + objectKey(claim)),
      onUpdate: (old, claim) => {
        if (!isResync(old, claim)) this.loop.enqueue(CLAIM + objectKey(claim));
      },
      onDelete: (claim) => this.#enqueueVolumesOf(claim),
    });
    this.volumes.addEventHandler({
      onAdd: (volume) => this.#volumeChanged(volume),
      onUpdate: (old, volume) => {
        if (!isResync(old, volume)) this.#volumeChanged(volume);
      },
      onDelete: (volume) => {
        const ref = volumeSpec(volume).claimRef;
        if (ref?.name) this.loop.enqueue(`${CLAIM}${ref.namespace}/${ref.name}`);
      },
    });
    // A new class (a default, a provisioner) can unblock waiting claims.
    this.classes.addEventHandler({
      onAdd: () => this.#enqueuePendingClaims(),
      onUpdate: (old, sc) => {
        if (!isResync(old, sc)) this.#enqueuePendingClaims();
      },
    });
  }

  async sync(key: string): Promise<void> {
    if (key.startsWith(CLAIM)) {
      const claim = this.claims.store.get(key.slice(CLAIM.length));
      if (claim) await this.syncClaim(claim);
    } else if (key.startsWith(VOLUME)) {
      const volume = this.volumes.store.get(key.slice(VOLUME.length));
      if (volume) await this.syncVolume(volume);
    }
  }

  #volumeChanged(volume: KubeObject): void {
    this.loop.enqueue(VOLUME + (volume.metadata?.name ?? ""));
    const ref = volumeSpec(volume).claimRef;
    if (ref?.name) this.loop.enqueue(`${CLAIM}${ref.namespace}/${ref.name}`);
    else if (phaseOf(volume) === "Available") this.#enqueuePendingClaims();
  }

  #enqueuePendingClaims(): void {
    for (const claim of this.claims.store.list()) {
      if (!claim.metadata?.annotations?.[ANN_BIND_COMPLETED]) {
        this.loop.enqueue(CLAIM + objectKey(claim));
      }
    }
  }

  #enqueueVolumesOf(claim: KubeObject): void {
    for (const volume of this.volumes.store.list()) {
      if (isVolumeBoundToClaim(volume, claim)) {
        this.loop.enqueue(VOLUME + (volume.metadata?.name ?? ""));
      }
    }
  }

  #storageClass(name: string): KubeObject | undefined {
    return name ? this.classes.store.get(name) : undefined;
  }

  async syncClaim(claim: KubeObject): Promise<void> {
    if (claim.metadata?.annotations?.[ANN_BIND_COMPLETED]) await this.#syncBoundClaim(claim);
    else await this.#syncUnboundClaim(claim);
  }

  async #syncUnboundClaim(claim: KubeObject): Promise<void> {
    const volumeName = claimSpec(claim).volumeName ?? "";
    if (volumeName !== "") {
      await this.#syncPreboundClaim(claim, volumeName);
      return;
    }
    const className = claimClass(claim);
    const storageClass = this.#storageClass(className);
    const delayBinding = storageClass?.volumeBindingMode === "WaitForFirstConsumer";
    const selectedNode = claim.metadata?.annotations?.[ANN_SELECTED_NODE];
    const node = delayBinding && selectedNode ? this.nodes.store.get(selectedNode) : undefined;
    const volume = findBestMatch(this.volumes.store.list(), claim, { delayBinding, node });
    if (volume) {
      await this.#bind(volume, claim);
      return;
    }
    if (await this.#assignDefaultClass(claim)) return;
    if (delayBinding && !selectedNode) {
      this.events.event(
        claim,
        "Normal",
        "WaitForFirstConsumer",
        "waiting for first consumer to be created before binding",
      );
    } else if (className !== "") {
      await this.#provision(claim, className, storageClass);
      return;
    } else {
      this.events.event(
        claim,
        "Normal",
        "FailedBinding",
        "no persistent volumes available for this claim and no storage class is set",
      );
    }
    await this.#updateClaimStatus(claim, "Pending");
  }

  /** The user named a volume: bind to it once it exists and fits. */
  async #syncPreboundClaim(claim: KubeObject, volumeName: string): Promise<void> {
    const volume = this.volumes.store.get(volumeName);
    if (!volume) {
      await this.#updateClaimStatus(claim, "Pending");
      return;
    }
    const ref = volumeSpec(volume).claimRef;
    if (!ref) {
      const mismatch = volumeMismatch(volume, claim);
      if (mismatch) {
        this.events.event(
          claim,
          "Warning",
          "VolumeMismatch",
          `Cannot bind to requested volume "${volumeName}": ${mismatch}`,
        );
        await this.#updateClaimStatus(claim, "Pending");
        return;
      }
      await this.#bind(volume, claim);
    } else if (isVolumeBoundToClaim(volume, claim)) {
      await this.#bind(volume, claim);
    } else if (!claim.metadata?.annotations?.[ANN_BOUND_BY_CONTROLLER]) {
      // Bound elsewhere: the user's claim waits for the volume to come free.
      await this.#updateClaimStatus(claim, "Pending");
    } else {
      throw new Error(
        `invalid binding of claim ${objectKey(claim)} to volume ${volumeName}: the volume is bound to another claim`,
      );
    }
  }

  async #syncBoundClaim(claim: KubeObject): Promise<void> {
    const volumeName = claimSpec(claim).volumeName ?? "";
    if (volumeName === "") {
      await this.#lost(
        claim,
        "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!",
      );
      return;
    }
    const volume = this.volumes.store.get(volumeName);
    if (!volume) {
      await this.#lost(
        claim,
        "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
      );
      return;
    }
    const ref = volumeSpec(volume).claimRef;
    if (!ref || ref.uid === claim.metadata?.uid) {
      await this.#bind(volume, claim);
      return;
    }
    await this.#lost(
      claim,
      "Two claims are bound to the same volume, this one is bound incorrectly",
    );
  }

  async #lost(claim: KubeObject, message: string): Promise<void> {
    if (phaseOf(claim) === "Lost") return;
    await this.#updateClaimStatus(claim, "Lost");
    this.events.event(claim, "Warning", "ClaimLost", message);
  }

  async syncVolume(volume: KubeObject): Promise<void> {
    const ref = volumeSpec(volume).claimRef;
    if (!ref || !ref.uid) {
      // Unused, or reserved for a claim that has not bound yet.
      await this.#updateVolumePhase(volume, "Available");
      return;
    }
    let claim = this.claims.store.get(`${ref.namespace}/${ref.name}`);
    if (!claim) claim = await this.#claimFromServer(ref.namespace ?? "", ref.name ?? "");
    if (claim && claim.metadata?.uid !== ref.uid) claim = undefined;
    if (!claim) {
      const released =
        phaseOf(volume) === "Released" || phaseOf(volume) === "Failed"
          ? volume
          : await this.#updateVolumePhase(volume, "Released");
      await this.#reclaim(released);
      return;
    }
    const claimVolume = claimSpec(claim).volumeName ?? "";
    if (claimVolume === "") {
      if (volumeModeMismatch(claim, volume)) {
        this.events.event(
          volume,
          "Warning",
          "VolumeMismatch",
          "Cannot bind PersistentVolume to requested PersistentVolumeClaim due to incompatible volumeMode.",
        );
        return;
      }
      // The claim's own sync finishes the binding.
      this.loop.enqueue(CLAIM + objectKey(claim));
      return;
    }
    if (claimVolume === volume.metadata?.name) {
      await this.#updateVolumePhase(volume, "Bound");
      return;
    }
    // The claim went to another volume.
    const annotations = volume.metadata?.annotations ?? {};
    if (
      annotations[ANN_DYNAMICALLY_PROVISIONED] &&
      volumeSpec(volume).persistentVolumeReclaimPolicy === "Delete"
    ) {
      const released =
        phaseOf(volume) === "Released" || phaseOf(volume) === "Failed"
          ? volume
          : await this.#updateVolumePhase(volume, "Released");
      await this.#reclaim(released);
    } else if (annotations[ANN_BOUND_BY_CONTROLLER]) {
      await this.#unbindVolume(volume);
    }
  }

  /** The cache may lag behind a claim created a moment ago: ask before releasing. */
  async #claimFromServer(namespace: string, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.#client.get(claimPath(namespace, name));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Retain keeps a released volume; Delete on a provisioned volume is left to its
   * provisioner; anything else cannot be carried out here and fails the volume.
   */
  async #reclaim(volume: KubeObject): Promise<void> {
    const policy = volumeSpec(volume).persistentVolumeReclaimPolicy ?? "Retain";
    if (policy === "Retain" || phaseOf(volume) !== "Released") return;
    if (policy === "Delete" && volume.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED]) return;
    const message =
      policy === "Delete"
        ? `error getting deleter volume plugin for volume "${volume.metadata?.name}": no deletable volume plugin matched`
        : `No recycler plugin found for the volume!`;
    await this.#updateVolumePhase(volume, "Failed", message);
    this.events.event(
      volume,
      "Warning",
      policy === "Delete" ? "VolumeFailedDelete" : "VolumeFailedRecycle",
      message,
    );
  }

  /** Both sides of a binding, each step skipped when already done (upstream's bind). */
  async #bind(volume: KubeObject, claim: KubeObject): Promise<void> {
    let current = volume;
    const ref = volumeSpec(volume).claimRef;
    if (!ref || ref.uid !== claim.metadata?.uid || ref.name !== claim.metadata?.name) {
      const updated = structuredClone(volume);
      (updated.spec as Record<string, unknown>).claimRef = claimRefOf(claim);
      if (!ref) {
        updated.metadata = {
          ...updated.metadata,
          annotations: { ...updated.metadata?.annotations, [ANN_BOUND_BY_CONTROLLER]: "yes" },
        };
      }
      current = await this.#client.update(volumePath(volume.metadata?.name), updated);
    }
    await this.#updateVolumePhase(current, "Bound");
    let bound = claim;
    const annotations = claim.metadata?.annotations ?? {};
    const volumeName = current.metadata?.name ?? "";
    if (claimSpec(claim).volumeName !== volumeName || !annotations[ANN_BIND_COMPLETED]) {
      const updated = structuredClone(claim);
      const byController = claimSpec(claim).volumeName !== volumeName;
      (updated.spec as Record<string, unknown>).volumeName = volumeName;
      updated.metadata = {
        ...updated.metadata,
        annotations: {
          ...annotations,
          [ANN_BIND_COMPLETED]: "yes",
          ...(byController ? { [ANN_BOUND_BY_CONTROLLER]: "yes" } : {}),
        },
      };
      bound = await this.#client.update(
        claimPath(claim.metadata?.namespace ?? "", claim.metadata?.name),
        updated,
      );
    }
    await this.#updateClaimStatus(bound, "Bound", current);
  }

  async #unbindVolume(volume: KubeObject): Promise<void> {
    const updated = structuredClone(volume);
    delete (updated.spec as Record<string, unknown>).claimRef;
    const annotations = { ...(updated.metadata?.annotations ?? {}) };
    delete annotations[ANN_BOUND_BY_CONTROLLER];
    updated.metadata = { ...updated.metadata, annotations };
    const stored = await this.#client.update(volumePath(volume.metadata?.name), updated);
    await this.#updateVolumePhase(stored, "Available");
  }

  /** Claims made before any default class existed get it now (RetroactiveDefaultStorageClass). */
  async #assignDefaultClass(claim: KubeObject): Promise<boolean> {
    const spec = claimSpec(claim);
    if (spec.storageClassName !== undefined && spec.storageClassName !== null) return false;
    if (claim.metadata?.annotations?.["volume.beta.kubernetes.io/storage-class"] !== undefined) {
      return false;
    }
    const chosen = defaultStorageClass(this.classes.store.list());
    if (!chosen) return false;
    const updated = structuredClone(claim);
    (updated.spec as Record<string, unknown>).storageClassName = chosen.metadata?.name;
    await this.#client.update(
      claimPath(claim.metadata?.namespace ?? "", claim.metadata?.name),
      updated,
    );
    return true;
  }

  /** Hands the claim to its class's provisioner (upstream's external provisioning path). */
  async #provision(
    claim: KubeObject,
    className: string,
    storageClass: KubeObject | undefined,
  ): Promise<void> {
    if (!storageClass) {
      this.events.event(
        claim,
        "Warning",
        "ProvisioningFailed",
        `storageclass.storage.k8s.io "${className}" not found`,
      );
      return;
    }
    const provisioner = String(storageClass.provisioner ?? "");
    const annotations = claim.metadata?.annotations ?? {};
    if (annotations[ANN_STORAGE_PROVISIONER] !== provisioner) {
      const updated = structuredClone(claim);
      updated.metadata = {
        ...updated.metadata,
        annotations: {
          ...annotations,
          [ANN_STORAGE_PROVISIONER]: provisioner,
          [ANN_BETA_STORAGE_PROVISIONER]: provisioner,
        },
      };
      await this.#client.update(
        claimPath(claim.metadata?.namespace ?? "", claim.metadata?.name),
        updated,
      );
    }
    this.events.event(
      claim,
      "Normal",
      "ExternalProvisioning",
      `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
    );
  }

  async #updateClaimStatus(claim: KubeObject, phase: string, volume?: KubeObject) {
    const previous = (claim.status ?? {}) as Record<string, unknown>;
    const status: Record<string, unknown> = { ...previous, phase };
    if (phase === "Bound" && volume) {
      status.accessModes = volumeSpec(volume).accessModes ?? [];
      status.capacity = volumeSpec(volume).capacity ?? {};
    }
    if (JSON.stringify(status) === JSON.stringify(previous)) return claim;
    try {
      return await this.#client.updateStatus(
        claimPath(claim.metadata?.namespace ?? "", claim.metadata?.name),
        { ...claim, status },
      );
    } catch (error) {
      if (!isConflict(error)) throw error;
      this.#log.debug("claim changed while its status was written", { key: objectKey(claim) });
      return claim;
    }
  }

  async #updateVolumePhase(volume: KubeObject, phase: string, message?: string) {
    const previous = (volume.status ?? {}) as Record<string, unknown>;
    if (previous.phase === phase && (message === undefined || previous.message === message)) {
      return volume;
    }
    const status: Record<string, unknown> = { ...previous, phase };
    if (message !== undefined) status.message = message;
    else delete status.message;
    if (previous.phase !== phase) status.lastPhaseTransitionTime = timestamp();
    return await this.#client.updateStatus(volumePath(volume.metadata?.name), {
      ...volume,
      status,
    });
  }
}
