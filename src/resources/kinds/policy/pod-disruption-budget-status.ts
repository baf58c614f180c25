/**
 * The PodDisruptionBudget status rules the disruption controller and the eviction
 * subresource share (upstream's component-helpers/apps/poddisruptionbudget): the
 * DisruptionAllowed condition follows status.disruptionsAllowed.
 */

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** policy/v1 PodDisruptionBudgetStatus. */
export interface PodDisruptionBudgetStatus {
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
  disruptionsAllowed?: number;
  currentHealthy?: number;
  desiredHealthy?: number;
  expectedPods?: number;
  conditions?: Condition[];
}

export const DISRUPTION_ALLOWED = "DisruptionAllowed";
export const SUFFICIENT_PODS = "SufficientPods";
export const INSUFFICIENT_PODS = "InsufficientPods";
export const SYNC_FAILED = "SyncFailed";

const timestamp = (date: Date): string => date.toISOString().replace(/\.\d+Z$/, "Z");

/**
 * Upstream's meta.SetStatusCondition: adds or changes the condition of that type; the
 * transition time moves only when the status does.
 */
export function setStatusCondition(
  conditions: Condition[],
  wanted: Omit<Condition, "lastTransitionTime">,
  now: Date,
): void {
  const existing = conditions.find((c) => c.type === wanted.type);
  if (!existing) {
    conditions.push({ ...wanted, lastTransitionTime: timestamp(now) });
    return;
  }
  if (existing.status !== wanted.status) existing.lastTransitionTime = timestamp(now);
  existing.status = wanted.status;
  existing.reason = wanted.reason;
  existing.message = wanted.message;
  if (wanted.observedGeneration === undefined) delete existing.observedGeneration;
  else existing.observedGeneration = wanted.observedGeneration;
}

/** Upstream's UpdateDisruptionAllowedCondition. */
export function updateDisruptionAllowedCondition(
  status: PodDisruptionBudgetStatus,
  now: Date,
): void {
  status.conditions ??= [];
  const allowed = (status.disruptionsAllowed ?? 0) > 0;
  setStatusCondition(
    status.conditions,
    {
      type: DISRUPTION_ALLOWED,
      status: allowed ? "True" : "False",
      reason: allowed ? SUFFICIENT_PODS : INSUFFICIENT_PODS,
      message: "",
      ...(status.observedGeneration !== undefined
        ? { observedGeneration: status.observedGeneration }
        : {}),
    },
    now,
  );
}

/** Upstream's ConditionsAreUpToDate: the condition matches the counters for this generation. */
export function disruptionConditionIsUpToDate(
  status: PodDisruptionBudgetStatus,
  generation: number | undefined,
): boolean {
  const condition = status.conditions?.find((c) => c.type === DISRUPTION_ALLOWED);
  if (!condition || status.observedGeneration !== generation) return false;
  return (status.disruptionsAllowed ?? 0) > 0
    ? condition.status === "True" && condition.reason === SUFFICIENT_PODS
    : condition.status === "False" && condition.reason === INSUFFICIENT_PODS;
}
