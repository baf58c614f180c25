/**
 * How a Deployment moves replicas between its ReplicaSets (upstream's rolling.go,
 * recreate.go and sync.go's scale): which ReplicaSet gets how many replicas, given
 * the surge and unavailability budgets. The writes go through a `Scaler`, so the
 * decisions test without an API server.
 */
import type { Pod } from "./active-pods.ts";
import {
  activeReplicaSets,
  byCreationTimestamp,
  bySizeNewer,
  bySizeOlder,
  type Deployment,
  getProportion,
  isRollingUpdate,
  isSaturated,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  specReplicas,
  totalActualReplicas,
  totalAvailableReplicas,
  totalSpecReplicas,
} from "./deployment-util.ts";
import type { ReplicaSet } from "./replica-set-status.ts";

export interface Scaler {
  /**
   * Gives `rs` `replicas` replicas and the Deployment's current desired/max replica
   * annotations, writing only if either differs; `scaled` tells whether the size changed.
   */
  scale(rs: ReplicaSet, replicas: number): Promise<{ scaled: boolean; rs: ReplicaSet }>;
}

/** Scales only when the size differs (upstream's scaleReplicaSetAndRecordEvent). */
async function resize(
  scaler: Scaler,
  rs: ReplicaSet,
  replicas: number,
): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  if (specReplicas(rs) === replicas) return { scaled: false, rs };
  return scaler.scale(rs, replicas);
}

/** Grows (or trims) the new ReplicaSet as far as the surge budget allows. */
export async function reconcileNewReplicaSet(
  d: Deployment,
  allRSs: ReplicaSet[],
  newRS: ReplicaSet,
  scaler: Scaler,
): Promise<boolean> {
  const replicas = specReplicas(d);
  if (specReplicas(newRS) === replicas) return false;
  if (specReplicas(newRS) > replicas) return (await resize(scaler, newRS, replicas)).scaled;
  return (await resize(scaler, newRS, newRSNewReplicas(d, allRSs, newRS))).scaled;
}

/**
 * Shrinks old ReplicaSets as far as the unavailability budget allows: first the
 * replicas that are not available anyway (so broken pods cannot block a rollout),
 * then available ones while enough stay available.
 */
export async function reconcileOldReplicaSets(
  d: Deployment,
  allRSs: ReplicaSet[],
  oldRSs: ReplicaSet[],
  newRS: ReplicaSet,
  scaler: Scaler,
): Promise<boolean> {
  if (totalSpecReplicas(oldRSs) === 0) return false;
  const minAvailable = specReplicas(d) - maxUnavailable(d);
  const newRSUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = totalSpecReplicas(allRSs) - minAvailable - newRSUnavailable;
  if (maxScaledDown <= 0) return false;
  const cleaned = await cleanupUnhealthyReplicas(oldRSs, maxScaledDown, scaler);
  const scaledDown = await scaleDownOldForRollingUpdate(
    d,
    [...cleaned.oldRSs, newRS],
    cleaned.oldRSs,
    scaler,
  );
  return cleaned.count + scaledDown > 0;
}

async function cleanupUnhealthyReplicas(
  oldRSs: ReplicaSet[],
  maxCleanup: number,
  scaler: Scaler,
): Promise<{ oldRSs: ReplicaSet[]; count: number }> {
  const sorted = [...oldRSs].sort(byCreationTimestamp);
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    const rs = sorted[i] as ReplicaSet;
    if (total >= maxCleanup) break;
    const unavailable = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
    if (specReplicas(rs) === 0 || unavailable <= 0) continue;
    const count = Math.min(maxCleanup - total, unavailable);
    sorted[i] = (await resize(scaler, rs, specReplicas(rs) - count)).rs;
    total += count;
  }
  return { oldRSs: sorted, count: total };
}

async function scaleDownOldForRollingUpdate(
  d: Deployment,
  allRSs: ReplicaSet[],
  oldRSs: ReplicaSet[],
  scaler: Scaler,
): Promise<number> {
  const minAvailable = specReplicas(d) - maxUnavailable(d);
  const available = totalAvailableReplicas(allRSs);
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreationTimestamp)) {
    if (total >= budget) break;
    if (specReplicas(rs) === 0) continue;
    const count = Math.min(specReplicas(rs), budget - total);
    await resize(scaler, rs, specReplicas(rs) - count);
    total += count;
  }
  return total;
}

/**
 * A resize outside a rollout (upstream's scale): one active ReplicaSet takes the whole
 * size; a saturated new one leaves the old ones at zero; otherwise a rolling Deployment
 * spreads the difference over its active ReplicaSets in proportion to their sizes,
 * leftovers to the largest.
 */
export async function scaleReplicaSets(
  d: Deployment,
  newRS: ReplicaSet | undefined,
  oldRSs: ReplicaSet[],
  scaler: Scaler,
): Promise<void> {
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    await scaler.scale(activeOrLatest, specReplicas(d));
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of activeReplicaSets(oldRSs)) await resize(scaler, old, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const active = activeReplicaSets([...oldRSs, newRS]);
  const allowed = specReplicas(d) > 0 ? specReplicas(d) + maxSurge(d) : 0;
  const toAdd = allowed - totalSpecReplicas(active);
  if (toAdd > 0) active.sort(bySizeNewer);
  else if (toAdd < 0) active.sort(bySizeOlder);
  let added = 0;
  const sizes = active.map((rs) => {
    if (toAdd === 0) return specReplicas(rs);
    const proportion = getProportion(rs, d, toAdd, added);
    added += proportion;
    return specReplicas(rs) + proportion;
  });
  if (toAdd !== 0 && sizes.length > 0) sizes[0] = Math.max(0, (sizes[0] ?? 0) + toAdd - added);
  for (let i = 0; i < active.length; i++) {
    await scaler.scale(active[i] as ReplicaSet, sizes[i] ?? 0);
  }
}

/** The only active ReplicaSet, or the newest when none is active; none when several are. */
export function findActiveOrLatest(
  newRS: ReplicaSet | undefined,
  oldRSs: ReplicaSet[],
): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/** Recreate's first step: every old ReplicaSet to zero. */
export async function scaleDownOldForRecreate(
  oldRSs: ReplicaSet[],
  scaler: Scaler,
): Promise<boolean> {
  let scaled = false;
  for (const rs of activeReplicaSets(oldRSs)) {
    if ((await resize(scaler, rs, 0)).scaled) scaled = true;
  }
  return scaled;
}

/**
 * Whether old pods may still run, which holds Recreate back from starting new ones:
 * old ReplicaSets still report replicas, or a pod of theirs is not finished.
 */
export function oldPodsRunning(
  newRS: ReplicaSet | undefined,
  oldRSs: ReplicaSet[],
  podsByReplicaSet: Map<string, Pod[]>,
): boolean {
  if (totalActualReplicas(oldRSs) > 0) return true;
  for (const [uid, pods] of podsByReplicaSet) {
    if (newRS && newRS.metadata?.uid === uid) continue;
    for (const pod of pods) {
      const phase = pod.status?.phase;
      if (phase !== "Succeeded" && phase !== "Failed") return true;
    }
  }
  return false;
}
