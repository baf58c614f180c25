/**
 * Which PersistentVolume a claim gets, as pure functions (upstream's pv_controller
 * index.go and storage helpers): class, access modes, volume mode, selector, node
 * affinity and capacity must fit, and the smallest volume that fits wins.
 */
import type { KubeObject } from "../resources/kind.ts";
import {
  labelSelectorAsSelector,
  type MetaV1LabelSelector,
} from "../resources/labels/label-selector.ts";
import { parseQuantity, type Quantity } from "../resources/quantity/quantity.ts";
import { matchesNodeSelector, type NodeSelector } from "./node-selectors.ts";

export const ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed";
export const ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller";
export const ANN_DYNAMICALLY_PROVISIONED = "pv.kubernetes.io/provisioned-by";
export const ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner";
export const ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner";
export const ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node";
export const ANN_BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class";

export interface ClaimRef {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface VolumeSpec {
  claimRef?: ClaimRef;
  storageClassName?: string;
  accessModes?: string[];
  capacity?: Record<string, string>;
  volumeMode?: string;
  persistentVolumeReclaimPolicy?: string;
  nodeAffinity?: { required?: NodeSelector };
  hostPath?: { path: string; type?: string };
  [source: string]: unknown;
}

export interface ClaimSpec {
  volumeName?: string;
  storageClassName?: string | null;
  accessModes?: string[];
  resources?: { requests?: Record<string, string> };
  selector?: MetaV1LabelSelector;
  volumeMode?: string;
}

export const volumeSpec = (volume: KubeObject) => (volume.spec ?? {}) as VolumeSpec;
export const claimSpec = (claim: KubeObject) => (claim.spec ?? {}) as ClaimSpec;
export const phaseOf = (object: KubeObject) =>
  (object.status as { phase?: string } | undefined)?.phase ?? "";

/** The claim's class: spec.storageClassName, else the beta annotation, else "". */
export function claimClass(claim: KubeObject): string {
  const spec = claimSpec(claim);
  if (typeof spec.storageClassName === "string") return spec.storageClassName;
  return claim.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS] ?? "";
}

export function volumeClass(volume: KubeObject): string {
  return (
    volumeSpec(volume).storageClassName ??
    volume.metadata?.annotations?.[ANN_BETA_STORAGE_CLASS] ??
    ""
  );
}

/** The volume's claimRef names this claim (and, when the ref has a UID, this very claim). */
export function isVolumeBoundToClaim(volume: KubeObject, claim: KubeObject): boolean {
  const ref = volumeSpec(volume).claimRef;
  if (!ref) return false;
  if (ref.name !== claim.metadata?.name || ref.namespace !== claim.metadata?.namespace) {
    return false;
  }
  return !ref.uid || ref.uid === claim.metadata?.uid;
}

export function storageOf(resources: Record<string, string> | undefined): Quantity | undefined {
  const value = resources?.storage;
  if (value === undefined) return undefined;
  try {
    return parseQuantity(value);
  } catch {
    return undefined;
  }
}

const volumeModeOf = (mode: string | undefined) => mode || "Filesystem";

export function volumeModeMismatch(claim: KubeObject, volume: KubeObject): boolean {
  return volumeModeOf(claimSpec(claim).volumeMode) !== volumeModeOf(volumeSpec(volume).volumeMode);
}

/** Why the volume cannot serve the claim (upstream's checkVolumeSatisfyClaim), or undefined. */
export function volumeMismatch(volume: KubeObject, claim: KubeObject): string | undefined {
  const requested = storageOf(claimSpec(claim).resources?.requests);
  const capacity = storageOf(volumeSpec(volume).capacity);
  if (requested && (!capacity || capacity.cmp(requested) < 0)) {
    return "requested PV is too small";
  }
  if (volumeClass(volume) !== claimClass(claim)) {
    return "storageClassName does not match";
  }
  if (volumeModeMismatch(claim, volume)) return "incompatible volumeMode";
  const modes = new Set(volumeSpec(volume).accessModes ?? []);
  if (!(claimSpec(claim).accessModes ?? []).every((mode) => modes.has(mode))) {
    return "incompatible accessMode";
  }
  return undefined;
}

/** A volume with node affinity is usable only on nodes that match it. */
export function volumeFitsNode(volume: KubeObject, node: KubeObject): boolean {
  const required = volumeSpec(volume).nodeAffinity?.required;
  return required === undefined || matchesNodeSelector(required, node);
}

/**
 * Upstream's findBestMatchForClaim. A volume already naming the claim wins. Otherwise
 * only Available, unclaimed volumes of the claim's class, with the claim's access modes
 * (fewest extra modes first), volume mode, labels for its selector and enough capacity
 * qualify, and the smallest wins. With delayed binding the controller picks nothing
 * until a node is chosen (`node`), and then only volumes usable there.
 */
export function findBestMatch(
  volumes: readonly KubeObject[],
  claim: KubeObject,
  options: { delayBinding: boolean; node?: KubeObject },
): KubeObject | undefined {
  const { delayBinding, node } = options;
  const wantedModes = claimSpec(claim).accessModes ?? [];
  const requested = storageOf(claimSpec(claim).resources?.requests) ?? parseQuantity("0");
  const selector = claimSpec(claim).selector;
  const matchesSelector = selector
    ? (v: KubeObject) => labelSelectorAsSelector(selector).matches(v.metadata?.labels ?? {})
    : () => true;
  const className = claimClass(claim);
  let best: { volume: KubeObject; size: Quantity; modes: number } | undefined;
  for (const volume of volumes) {
    if (volumeModeMismatch(claim, volume)) continue;
    if (volume.metadata?.deletionTimestamp) continue;
    const fitsNode = node === undefined || volumeFitsNode(volume, node);
    if (isVolumeBoundToClaim(volume, claim)) return fitsNode ? volume : undefined;
    if (delayBinding && node === undefined) continue;
    if (phaseOf(volume) !== "Available" || volumeSpec(volume).claimRef) continue;
    if (!matchesSelector(volume) || volumeClass(volume) !== className || !fitsNode) continue;
    const modes = volumeSpec(volume).accessModes ?? [];
    if (!wantedModes.every((mode) => modes.includes(mode))) continue;
    const size = storageOf(volumeSpec(volume).capacity);
    if (!size || size.cmp(requested) < 0) continue;
    if (
      !best ||
      modes.length < best.modes ||
      (modes.length === best.modes && size.cmp(best.size) < 0)
    ) {
      best = { volume, size, modes: modes.length };
    }
  }
  return best?.volume;
}

/** The reference a volume keeps to its claim. */
export function claimRefOf(claim: KubeObject): ClaimRef {
  return {
    kind: "PersistentVolumeClaim",
    namespace: claim.metadata?.namespace,
    name: claim.metadata?.name,
    uid: claim.metadata?.uid,
    apiVersion: "v1",
    resourceVersion: claim.metadata?.resourceVersion,
  };
}
