import type { KubeObject } from "../../resources/kind.ts";
import {
  isRecord,
  type JsonRecord,
  recordList,
  recordOf,
  stringOf,
} from "../../resources/kinds/core/json-value.ts";

/** The kinds of object a pod can name that a node may then read (or use, for tokens). */
export type ReferenceKind =
  | "secrets"
  | "configmaps"
  | "persistentvolumeclaims"
  | "serviceaccounts"
  | "resourceclaims";

export const referenceKinds: readonly ReferenceKind[] = [
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "serviceaccounts",
  "resourceclaims",
];

/** Names (in the pod's namespace) of the objects a pod refers to, by kind. */
export type PodReferences = Record<ReferenceKind, ReadonlySet<string>>;

type Add = (kind: ReferenceKind, name: string) => void;

/** Volume sources that carry a `secretRef: {name}` the kubelet resolves in the pod's namespace. */
const secretRefVolumeSources = [
  "cephfs",
  "cinder",
  "flexVolume",
  "iscsi",
  "rbd",
  "scaleIO",
  "storageos",
] as const;

/**
 * Everything a pod refers to by name: secrets and config maps from volumes,
 * projected sources, env and envFrom of every container (init and ephemeral
 * too) and image pull secrets; claims from claim and ephemeral volumes; its
 * service account; its resource claims.
 */
export function podReferences(pod: KubeObject): PodReferences {
  const found: Record<ReferenceKind, Set<string>> = {
    secrets: new Set(),
    configmaps: new Set(),
    persistentvolumeclaims: new Set(),
    serviceaccounts: new Set(),
    resourceclaims: new Set(),
  };
  const add: Add = (kind, name) => {
    if (name) found[kind].add(name);
  };
  const spec = recordOf(pod.spec) ?? {};
  for (const ref of recordList(spec.imagePullSecrets)) add("secrets", stringOf(ref.name));
  for (const container of allContainers(spec)) visitContainer(container, add);
  const podName = pod.metadata?.name ?? "";
  for (const volume of recordList(spec.volumes)) visitVolume(volume, podName, add);
  add("serviceaccounts", serviceAccountOf(spec));
  for (const claim of resourceClaimNames(pod)) add("resourceclaims", claim);
  return found;
}

/** The pod's service account; pods without one run as "default" once admitted. */
export function serviceAccountOf(spec: JsonRecord): string {
  return stringOf(spec.serviceAccountName) || stringOf(spec.serviceAccount) || "default";
}

export function allContainers(spec: JsonRecord): JsonRecord[] {
  return [
    ...recordList(spec.initContainers),
    ...recordList(spec.containers),
    ...recordList(spec.ephemeralContainers),
  ];
}

function visitContainer(container: JsonRecord, add: Add): void {
  for (const source of recordList(container.envFrom)) {
    add("secrets", stringOf(recordOf(source.secretRef)?.name));
    add("configmaps", stringOf(recordOf(source.configMapRef)?.name));
  }
  for (const env of recordList(container.env)) {
    const from = recordOf(env.valueFrom);
    add("secrets", stringOf(recordOf(from?.secretKeyRef)?.name));
    add("configmaps", stringOf(recordOf(from?.configMapKeyRef)?.name));
  }
}

function visitVolume(volume: JsonRecord, podName: string, add: Add): void {
  add("secrets", stringOf(recordOf(volume.secret)?.secretName));
  add("secrets", stringOf(recordOf(volume.azureFile)?.secretName));
  add("secrets", stringOf(recordOf(recordOf(volume.csi)?.nodePublishSecretRef)?.name));
  for (const source of secretRefVolumeSources) {
    add("secrets", stringOf(recordOf(recordOf(volume[source])?.secretRef)?.name));
  }
  add("configmaps", stringOf(recordOf(volume.configMap)?.name));
  for (const source of recordList(recordOf(volume.projected)?.sources)) {
    add("secrets", stringOf(recordOf(source.secret)?.name));
    add("configmaps", stringOf(recordOf(source.configMap)?.name));
  }
  add("persistentvolumeclaims", stringOf(recordOf(volume.persistentVolumeClaim)?.claimName));
  // A generic ephemeral volume's claim is named after the pod and the volume.
  if (isRecord(volume.ephemeral)) add("persistentvolumeclaims", `${podName}-${volume.name}`);
}

/**
 * The claims a pod uses: named directly, or generated from a template, whose
 * name the resource claim controller records in status.resourceClaimStatuses.
 */
export function resourceClaimNames(pod: KubeObject): string[] {
  const spec = recordOf(pod.spec) ?? {};
  const statuses = recordList(recordOf(pod.status)?.resourceClaimStatuses);
  const names: string[] = [];
  for (const claim of recordList(spec.resourceClaims)) {
    const direct = stringOf(claim.resourceClaimName);
    const generated = statuses.find((status) => status.name === claim.name);
    const name = direct || stringOf(generated?.resourceClaimName);
    if (name) names.push(name);
  }
  return names;
}

/** Volume sources that need nothing from the API server. */
const selfContainedVolumeSources = new Set([
  "awsElasticBlockStore",
  "azureDisk",
  "cephfs",
  "cinder",
  "downwardAPI",
  "emptyDir",
  "fc",
  "flexVolume",
  "flocker",
  "gcePersistentDisk",
  "gitRepo",
  "hostPath",
  "image",
  "iscsi",
  "nfs",
  "photonPersistentDisk",
  "portworxVolume",
  "quobyte",
  "rbd",
  "scaleIO",
  "storageos",
  "vsphereVolume",
]);

/** What each API-backed volume source refers to, in upstream's wording. */
const referencingVolumeSources: Readonly<Record<string, string>> = {
  configMap: "configmaps (via configmap volumes)",
  secret: "secrets (via secret volumes)",
  csi: "csidrivers (via CSI volumes)",
  glusterfs: "endpoints (via glusterFS volumes)",
  persistentVolumeClaim: "persistentvolumeclaims",
  ephemeral: "persistentvolumeclaims (via ephemeral volumes)",
  azureFile: "secrets (via azureFile volumes)",
};

const referencingProjectedSources: Readonly<Record<string, string>> = {
  configMap: "configmaps (via projected volumes)",
  secret: "secrets (via projected volumes)",
  serviceAccountToken: "serviceaccounts (via projected volumes)",
  clusterTrustBundle: "clustertrustbundles",
  podCertificate: "podcertificates",
};

/** The first API object a pod depends on, or an error text for a source this code does not know. */
export type ApiReference = { resource: string } | { error: string };

/**
 * Whether a pod depends on other API objects (upstream's HasAPIObjectReference):
 * nodes may only create pods that do not, so a mirror pod cannot be used to
 * gain read access to secrets and the like. Unknown volume sources are refused
 * rather than guessed at.
 */
export function findApiObjectReference(pod: KubeObject): ApiReference | undefined {
  const spec = recordOf(pod.spec) ?? {};
  if (stringOf(spec.serviceAccountName) || stringOf(spec.serviceAccount)) {
    return { resource: "serviceaccounts" };
  }
  const references = podReferences(pod);
  if (references.secrets.size > 0) return { resource: "secrets" };
  if (references.configmaps.size > 0) return { resource: "configmaps" };
  if (recordList(spec.resourceClaims).length > 0) return { resource: "resourceclaims" };
  for (const volume of recordList(spec.volumes)) {
    const found = volumeReference(volume);
    if (found) return found;
  }
  return undefined;
}

function volumeReference(volume: JsonRecord): ApiReference | undefined {
  const name = stringOf(volume.name);
  const source = Object.keys(volume).find((key) => key !== "name" && volume[key] != null);
  if (source === undefined || selfContainedVolumeSources.has(source)) return undefined;
  const resource = referencingVolumeSources[source];
  if (resource) return { resource };
  if (source !== "projected") return { error: `unknown volume type for volume  "${name}"` };
  for (const projected of recordList(recordOf(volume.projected)?.sources)) {
    const kind = Object.keys(projected).find((key) => projected[key] != null);
    if (kind === undefined || kind === "downwardAPI") continue;
    const referenced = referencingProjectedSources[kind];
    if (referenced) return { resource: referenced };
    return { error: `unknown source for projected volume "${name}"` };
  }
  return undefined;
}
