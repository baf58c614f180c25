/**
 * A StatefulSet's pods and claims as pure functions (upstream's stateful_set_utils.go):
 * stable names `<set>-<ordinal>`, identity labels, hostname and subdomain, the claims
 * from volumeClaimTemplates named `<template>-<set>-<ordinal>`, and the status counts.
 */
import type { KubeObject, OwnerReference } from "../resources/kind.ts";
import { isPodAvailable, isPodReady } from "./active-pods.ts";
import {
  CONTROLLER_REVISION_HASH_LABEL,
  type ControllerRevision,
  templateOf,
} from "./controller-revisions.ts";
import { controllerRef, podFromTemplate } from "./owners.ts";

export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";
export const STATEFUL_SET_KIND = { apiVersion: "apps/v1", kind: "StatefulSet" };

interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  [source: string]: unknown;
}

export interface StatefulSetSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
  serviceName?: string;
  template?: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: { volumes?: Volume[]; hostname?: string; subdomain?: string };
  };
  volumeClaimTemplates?: KubeObject[];
  podManagementPolicy?: string;
  updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string; whenScaled?: string };
  ordinals?: { start?: number };
}

export const stsSpec = (set: KubeObject) => (set.spec ?? {}) as StatefulSetSpec;
export const startOrdinal = (set: KubeObject) => stsSpec(set).ordinals?.start ?? 0;

const STATEFUL_POD_NAME = /^(.*)-(\d+)$/;

/** The set name and ordinal a pod's name encodes; ordinal -1 when it encodes none. */
export function parentAndOrdinal(pod: KubeObject): { parent: string; ordinal: number } {
  const match = STATEFUL_POD_NAME.exec(pod.metadata?.name ?? "");
  if (!match) return { parent: "", ordinal: -1 };
  const ordinal = Number(match[2]);
  return Number.isSafeInteger(ordinal)
    ? { parent: match[1] ?? "", ordinal }
    : { parent: "", ordinal: -1 };
}

export const ordinalOf = (pod: KubeObject) => parentAndOrdinal(pod).ordinal;

export function isMemberOf(set: KubeObject, pod: KubeObject): boolean {
  return parentAndOrdinal(pod).parent === set.metadata?.name;
}

export const podName = (set: KubeObject, ordinal: number) => `${set.metadata?.name}-${ordinal}`;

export function claimName(set: KubeObject, template: KubeObject, ordinal: number): string {
  return `${template.metadata?.name}-${set.metadata?.name}-${ordinal}`;
}

export const podRevision = (pod: KubeObject) =>
  pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? "";

/** The set with the template a revision holds (upstream's ApplyRevision). */
export function applyRevision(set: KubeObject, revision: ControllerRevision): KubeObject {
  const copy = structuredClone(set);
  const template = templateOf(revision);
  if (template) (copy.spec as StatefulSetSpec).template = template as StatefulSetSpec["template"];
  return copy;
}

/** Name, identity labels, hostname and subdomain (upstream's initIdentity). */
function setIdentity(set: KubeObject, pod: KubeObject, ordinal: number): void {
  const name = podName(set, ordinal);
  const metadata = pod.metadata ?? {};
  metadata.name = name;
  metadata.namespace = set.metadata?.namespace;
  metadata.labels = {
    ...(metadata.labels ?? {}),
    [POD_NAME_LABEL]: name,
    [POD_INDEX_LABEL]: String(ordinal),
  };
  pod.metadata = metadata;
  const spec = (pod.spec ?? {}) as Record<string, unknown>;
  spec.hostname = name;
  const service = stsSpec(set).serviceName;
  if (service) spec.subdomain = service;
  pod.spec = spec;
}

/** The pod's volumes for its claims, replacing template volumes of the same name. */
function setStorage(set: KubeObject, pod: KubeObject, ordinal: number): void {
  const templates = stsSpec(set).volumeClaimTemplates ?? [];
  if (templates.length === 0) return;
  const spec = (pod.spec ?? {}) as { volumes?: Volume[] };
  const claimVolumes: Volume[] = templates.map((t) => ({
    name: t.metadata?.name ?? "",
    persistentVolumeClaim: { claimName: claimName(set, t, ordinal) },
  }));
  const names = new Set(claimVolumes.map((v) => v.name));
  spec.volumes = [...claimVolumes, ...(spec.volumes ?? []).filter((v) => !names.has(v.name))];
  pod.spec = spec;
}

/** The pod for `ordinal` from the set's template, labelled with `revision`. */
export function newStatefulSetPod(set: KubeObject, ordinal: number, revision: string): KubeObject {
  const owner = { ...set, ...STATEFUL_SET_KIND };
  const pod = podFromTemplate(stsSpec(set).template, owner, { name: podName(set, ordinal) });
  setIdentity(set, pod, ordinal);
  setStorage(set, pod, ordinal);
  const metadata = pod.metadata ?? {};
  metadata.labels = { ...(metadata.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: revision };
  return pod;
}

/**
 * Upstream's newVersionedStatefulSetPod: ordinals below the partition keep the current
 * revision, the others get the update revision.
 */
export function newVersionedPod(
  currentSet: KubeObject,
  updateSet: KubeObject,
  currentRevision: string,
  updateRevision: string,
  ordinal: number,
): KubeObject {
  const strategy = stsSpec(currentSet).updateStrategy;
  const start = startOrdinal(currentSet);
  const partition = strategy?.rollingUpdate?.partition;
  const keepsCurrent =
    (strategy?.type === "RollingUpdate" && partition === undefined && ordinal < start) ||
    (partition !== undefined && ordinal < start + partition);
  return keepsCurrent
    ? newStatefulSetPod(currentSet, ordinal, currentRevision)
    : newStatefulSetPod(updateSet, ordinal, updateRevision);
}

export function identityMatches(set: KubeObject, pod: KubeObject): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod);
  const labels = pod.metadata?.labels ?? {};
  return (
    ordinal >= 0 &&
    parent === set.metadata?.name &&
    pod.metadata?.namespace === set.metadata?.namespace &&
    labels[POD_NAME_LABEL] === pod.metadata?.name &&
    labels[POD_INDEX_LABEL] === String(ordinal)
  );
}

/**
 * The claims the pod at `ordinal` needs, with the selector's labels (upstream's
 * getPersistentVolumeClaims); the set owns them when whenDeleted is Delete.
 */
export function claimsFor(set: KubeObject, ordinal: number): KubeObject[] {
  const spec = stsSpec(set);
  const matchLabels = spec.selector?.matchLabels ?? {};
  const deleteWithSet = spec.persistentVolumeClaimRetentionPolicy?.whenDeleted === "Delete";
  return (spec.volumeClaimTemplates ?? []).map((template) => {
    const { status: _, ...rest } = structuredClone(template);
    const metadata = { ...(rest.metadata ?? {}) };
    metadata.name = claimName(set, template, ordinal);
    metadata.namespace = set.metadata?.namespace;
    metadata.labels = { ...(metadata.labels ?? {}), ...matchLabels };
    if (deleteWithSet) metadata.ownerReferences = [controllerRef({ ...set, ...STATEFUL_SET_KIND })];
    return { ...rest, apiVersion: "v1", kind: "PersistentVolumeClaim", metadata };
  });
}

/** The owner reference a condemned pod puts on its claims when whenScaled is Delete. */
export function podOwnerRef(pod: KubeObject): OwnerReference {
  return {
    apiVersion: "v1",
    kind: "Pod",
    name: pod.metadata?.name ?? "",
    uid: pod.metadata?.uid ?? "",
  };
}

export const podPhase = (pod: KubeObject): string =>
  (pod.status as { phase?: string } | undefined)?.phase ?? "";

/** Created: the API server has given it a phase (a pod built here has none yet). */
export const isCreated = (pod: KubeObject) => podPhase(pod) !== "";
export const isTerminating = (pod: KubeObject) => Boolean(pod.metadata?.deletionTimestamp);
export const isRunningAndReady = (pod: KubeObject) =>
  podPhase(pod) === "Running" && isPodReady(pod);
export const isRunningAndAvailable = (pod: KubeObject, minReadySeconds: number, now: number) =>
  podPhase(pod) === "Running" && isPodAvailable(pod, minReadySeconds, new Date(now));
export const isHealthy = (pod: KubeObject) => isRunningAndReady(pod) && !isTerminating(pod);
export const isFinished = (pod: KubeObject) =>
  podPhase(pod) === "Failed" || podPhase(pod) === "Succeeded";

export interface ReplicaCounts {
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
}

/** Upstream's computeReplicaStatus over every pod given. */
export function replicaCounts(
  pods: readonly KubeObject[],
  minReadySeconds: number,
  currentRevision: string,
  updateRevision: string,
  now: number,
): ReplicaCounts {
  const counts: ReplicaCounts = {
    replicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
  };
  for (const pod of pods) {
    if (isCreated(pod)) counts.replicas++;
    if (isRunningAndReady(pod)) {
      counts.readyReplicas++;
      if (isRunningAndAvailable(pod, minReadySeconds, now)) counts.availableReplicas++;
    }
    if (isCreated(pod) && !isTerminating(pod)) {
      const revision = podRevision(pod);
      if (revision === currentRevision) counts.currentReplicas++;
      if (revision === updateRevision) counts.updatedReplicas++;
    }
  }
  return counts;
}
