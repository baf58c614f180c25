/**
 * The arithmetic and bookkeeping of Deployments (upstream's deployment/util): template
 * hashing and comparison, revisions and the annotations that carry them, surge and
 * unavailability budgets, proportional scaling, status and conditions. Pure functions.
 */
import type { KubeObject } from "../resources/kind.ts";
import type { MetaV1LabelSelector } from "../resources/labels/label-selector.ts";
import { controllerRef } from "./owners.ts";
import type { PodTemplate, ReplicaSet } from "./replica-set-status.ts";

export const POD_TEMPLATE_HASH = "pod-template-hash";
export const REVISION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const DEPRECATED_ROLLBACK_TO = "deprecated.deployment.rollback.to";

/** Upstream caps deployment.kubernetes.io/revision-history at this many characters. */
const MAX_REVISION_HISTORY_CHARS = 2000;

/** Go's MaxInt32: a progressDeadlineSeconds or revisionHistoryLimit meaning "none". */
const MAX_INT32 = 2147483647;

export interface DeploymentCondition {
  type: string;
  status: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
  [field: string]: unknown;
}

export interface Deployment extends KubeObject {
  spec?: {
    replicas?: number;
    selector?: MetaV1LabelSelector;
    template?: PodTemplate;
    strategy?: {
      type?: string;
      rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
    };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
  };
  status?: DeploymentStatus;
}

export const specReplicas = (object: Deployment | ReplicaSet | undefined): number =>
  object?.spec?.replicas ?? 0;

// ---- templates -------------------------------------------------------------------------

/**
 * A value with everything Go's typed round trip cannot tell from absent removed
 * (null, "", 0, false, empty maps and lists), so a template read back through a client
 * (as `kubectl rollout undo` does) compares equal to the one it came from.
 */
function normalize(value: unknown): unknown {
  if (value === null || value === undefined || value === "" || value === 0 || value === false) {
    return undefined;
  }
  if (Array.isArray(value)) {
    return value.length ? value.map((item) => normalize(item) ?? null) : undefined;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => [key, normalize(item)] as const)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value;
}

/** Canonical JSON (sorted keys, empties dropped) of a value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value) ?? null);
}

/** Equal as Go's semantic DeepEqual would see the typed values. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function withoutHash(template: PodTemplate | undefined): PodTemplate {
  const copy = structuredClone(template ?? {});
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH];
  return copy;
}

/** Templates equal apart from the pod-template-hash label (which the Deployment's lacks). */
export function equalIgnoreHash(a: PodTemplate | undefined, b: PodTemplate | undefined): boolean {
  return semanticEqual(withoutHash(a), withoutHash(b));
}

const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** Upstream's rand.SafeEncodeString: no vowels (no words) and no look-alike characters. */
function safeEncode(text: string): string {
  let out = "";
  for (const char of text) out += SAFE_ALPHABET[(char.codePointAt(0) ?? 0) % SAFE_ALPHABET.length];
  return out;
}

/**
 * The pod-template-hash of a template: FNV-1a (32-bit) of its canonical JSON and, after a
 * name collision, of the collision count, encoded like upstream's so names look alike
 * (`web-7c5ddbdf54`). Stable for a given template across restarts and servers.
 */
export function computeHash(template: PodTemplate | undefined, collisionCount?: number): string {
  const bytes = [...new TextEncoder().encode(canonicalJson(template))];
  if (collisionCount !== undefined && collisionCount !== null) {
    const n = collisionCount >>> 0;
    bytes.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return safeEncode(String(hash >>> 0));
}

// ---- ReplicaSet lists ------------------------------------------------------------------

const created = (object: KubeObject) => Date.parse(object.metadata?.creationTimestamp ?? "") || 0;
const nameOf = (object: KubeObject) => object.metadata?.name ?? "";

/** Oldest first; equal timestamps by name. */
export function byCreationTimestamp(a: KubeObject, b: KubeObject): number {
  return created(a) - created(b) || (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0);
}

/** Largest first; equal sizes newest first (who gets surplus replicas when scaling up). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreationTimestamp(b, a);
}

/** Largest first; equal sizes oldest first (who loses replicas first when scaling down). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreationTimestamp(a, b);
}

export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  return revisionOf(a) - revisionOf(b) || byCreationTimestamp(a, b);
}

export function activeReplicaSets(list: (ReplicaSet | undefined)[]): ReplicaSet[] {
  return list.filter((rs): rs is ReplicaSet => rs !== undefined && specReplicas(rs) > 0);
}

/** The oldest ReplicaSet whose template is the Deployment's: the one it rolls out. */
export function findNewReplicaSet(d: Deployment, list: ReplicaSet[]): ReplicaSet | undefined {
  return [...list]
    .sort(byCreationTimestamp)
    .find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** Every ReplicaSet but the new one. */
export function findOldReplicaSets(d: Deployment, list: ReplicaSet[]): ReplicaSet[] {
  const newRS = findNewReplicaSet(d, list);
  return list.filter((rs) => rs.metadata?.uid !== newRS?.metadata?.uid);
}

const sum = (list: (ReplicaSet | undefined)[], count: (rs: ReplicaSet) => number | undefined) =>
  list.reduce((total, rs) => total + (rs ? (count(rs) ?? 0) : 0), 0);

export const totalSpecReplicas = (list: (ReplicaSet | undefined)[]) => sum(list, specReplicas);
export const totalActualReplicas = (list: (ReplicaSet | undefined)[]) =>
  sum(list, (rs) => rs.status?.replicas);
export const totalReadyReplicas = (list: (ReplicaSet | undefined)[]) =>
  sum(list, (rs) => rs.status?.readyReplicas);
export const totalAvailableReplicas = (list: (ReplicaSet | undefined)[]) =>
  sum(list, (rs) => rs.status?.availableReplicas);

// ---- revisions and annotations ---------------------------------------------------------

export function revisionOf(object: KubeObject): number {
  const value = Number.parseInt(object.metadata?.annotations?.[REVISION] ?? "0", 10);
  return Number.isNaN(value) ? 0 : value;
}

export function maxRevision(list: ReplicaSet[]): number {
  return list.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
}

/** What a Deployment never copies to its ReplicaSets (they carry their own values). */
const SKIPPED_ANNOTATIONS = new Set([
  LAST_APPLIED,
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  DEPRECATED_ROLLBACK_TO,
]);

/**
 * Brings the new ReplicaSet's annotations up to date: the Deployment's own (such as
 * kubernetes.io/change-cause), its revision raised to `newRevision` when lower (the
 * revision it had joins revision-history: that is a rollback), and for a ReplicaSet
 * about to be created the replica annotations. Returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  rs: ReplicaSet,
  newRevision: number,
  exists: boolean,
): boolean {
  const meta = rs.metadata ?? {};
  rs.metadata = meta;
  const annotations = meta.annotations ?? {};
  meta.annotations = annotations;
  let changed = false;
  for (const [key, value] of Object.entries(d.metadata?.annotations ?? {})) {
    if (SKIPPED_ANNOTATIONS.has(key) || annotations[key] === value) continue;
    annotations[key] = value;
    changed = true;
  }
  const oldText = annotations[REVISION];
  const oldRevision = oldText === undefined ? 0 : Number.parseInt(oldText, 10);
  if (Number.isNaN(oldRevision)) return changed;
  if (oldRevision < newRevision) {
    annotations[REVISION] = String(newRevision);
    changed = true;
    if (oldText !== undefined) {
      const history = annotations[REVISION_HISTORY];
      const kept = history ? history.split(",") : [];
      kept.push(oldText);
      while (kept.join(",").length > MAX_REVISION_HISTORY_CHARS && kept.length > 1) kept.shift();
      annotations[REVISION_HISTORY] = kept.join(",");
    }
  }
  if (!exists && setReplicasAnnotations(rs, specReplicas(d), specReplicas(d) + maxSurge(d))) {
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(
  rs: ReplicaSet,
  desired: number,
  max: number,
): boolean {
  const annotations = rs.metadata?.annotations ?? {};
  return (
    annotations[DESIRED_REPLICAS] !== String(desired) || annotations[MAX_REPLICAS] !== String(max)
  );
}

export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  const meta = rs.metadata ?? {};
  rs.metadata = meta;
  meta.annotations = {
    ...meta.annotations,
    [DESIRED_REPLICAS]: String(desired),
    [MAX_REPLICAS]: String(max),
  };
  return true;
}

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const text = rs.metadata?.annotations?.[key];
  if (text === undefined) return undefined;
  const value = Number.parseInt(text, 10);
  return Number.isNaN(value) ? undefined : value;
}

export const desiredReplicasAnnotation = (rs: ReplicaSet) => intAnnotation(rs, DESIRED_REPLICAS);

// ---- budgets ---------------------------------------------------------------------------

/**
 * An IntOrString against `total`: percentages round up for surge and down for
 * unavailability, as upstream's GetScaledValueFromIntOrPercent.
 */
export function scaledValue(
  value: number | string | undefined,
  total: number,
  roundUp: boolean,
): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === "number") return value;
  const match = /^(-?\d+)%$/.exec(value);
  if (!match) {
    const plain = Number.parseInt(value, 10);
    if (String(plain) === value) return plain;
    throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  }
  const scaled = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * maxSurge and maxUnavailable for `desired` replicas. When both round to zero,
 * unavailability becomes one: a rollout must be able to move (surge may be blocked by quota).
 */
export function resolveFenceposts(
  maxSurgeValue: number | string | undefined,
  maxUnavailableValue: number | string | undefined,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurgeValue ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailableValue ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export const isRollingUpdate = (d: Deployment) =>
  (d.spec?.strategy?.type ?? "RollingUpdate") === "RollingUpdate";

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const rolling = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(rolling?.maxSurge, rolling?.maxUnavailable, specReplicas(d)).surge;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const rolling = d.spec?.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(rolling?.maxSurge, rolling?.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

/**
 * How many replicas the new ReplicaSet may have now: a rolling update grows it within
 * the surge budget, never past the Deployment's size; Recreate gives it everything.
 */
export function newRSNewReplicas(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return specReplicas(d);
  const replicas = specReplicas(d);
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? 0, replicas, true);
  const current = totalSpecReplicas(allRSs);
  const maxTotal = replicas + surge;
  if (current >= maxTotal) return specReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, replicas - specReplicas(newRS));
  return specReplicas(newRS) + scaleUp;
}

/** The new ReplicaSet holds every replica, as both it and the Deployment agree, all available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  return (
    desired !== undefined &&
    specReplicas(rs) === specReplicas(d) &&
    desired === specReplicas(d) &&
    (rs.status?.availableReplicas ?? 0) === specReplicas(d)
  );
}

/** Go's math.Round for the proportions: halves away from zero. */
const roundHalfAway = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

/**
 * How many replicas `rs` gains (or loses, negative) when the Deployment is resized
 * mid-rollout: its share of the new size in proportion to the size it was given for
 * (the max-replicas annotation), bounded by what is left to hand out.
 */
export function getProportion(
  rs: ReplicaSet | undefined,
  d: Deployment,
  toAdd: number,
  added: number,
): number {
  if (!rs || specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (specReplicas(d) === 0) return -specReplicas(rs);
  const deploymentReplicas = specReplicas(d) + maxSurge(d);
  // Without the annotation, the Deployment's current size is the best estimate.
  const annotated = intAnnotation(rs, MAX_REPLICAS) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  const newSize = (specReplicas(rs) * deploymentReplicas) / annotated;
  return roundHalfAway(newSize) - specReplicas(rs);
}

// ---- spec predicates -------------------------------------------------------------------

export function hasProgressDeadline(d: Deployment): boolean {
  const seconds = d.spec?.progressDeadlineSeconds;
  return seconds !== undefined && seconds !== null && seconds !== MAX_INT32;
}

export function hasRevisionHistoryLimit(d: Deployment): boolean {
  const limit = d.spec?.revisionHistoryLimit;
  return limit !== undefined && limit !== null && limit !== MAX_INT32;
}

/** The Deployment's selector with the pod-template-hash label added (a new ReplicaSet's). */
export function selectorWithHash(
  selector: MetaV1LabelSelector | undefined,
  hash: string,
): MetaV1LabelSelector {
  const copy = structuredClone(selector ?? {});
  copy.matchLabels = { ...(copy.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
  return copy;
}

/** The new ReplicaSet for a Deployment's template (zero replicas; the caller sizes it). */
export function newReplicaSet(d: Deployment, hash: string): ReplicaSet {
  const template = structuredClone(d.spec?.template ?? {});
  const labels = { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
  template.metadata = { ...template.metadata, labels };
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: `${d.metadata?.name}-${hash}`,
      namespace: d.metadata?.namespace,
      ownerReferences: [controllerRef({ ...d, apiVersion: "apps/v1", kind: "Deployment" })],
      labels: { ...labels },
    },
    spec: {
      replicas: 0,
      minReadySeconds: d.spec?.minReadySeconds ?? 0,
      selector: selectorWithHash(d.spec?.selector, hash),
      template,
    },
  };
}

/**
 * Old ReplicaSets past revisionHistoryLimit to delete, lowest revision first: only
 * empty ones whose emptiness their own controller has observed.
 */
export function replicaSetsToCleanUp(d: Deployment, oldRSs: ReplicaSet[]): ReplicaSet[] {
  if (!hasRevisionHistoryLimit(d)) return [];
  const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp).sort(byRevision);
  const surplus = cleanable.length - (d.spec?.revisionHistoryLimit ?? 0);
  return cleanable
    .slice(0, Math.max(0, surplus))
    .filter(
      (rs) =>
        (rs.status?.replicas ?? 0) === 0 &&
        specReplicas(rs) === 0 &&
        (rs.metadata?.generation ?? 0) <= (rs.status?.observedGeneration ?? 0),
    );
}
