/**
 * pods/{name}/eviction (policy/v1 Eviction; v1beta1 bodies too), upstream's EvictionREST:
 * a delete that respects PodDisruptionBudgets. A pod that is pending, finished or
 * already being deleted goes at once. Otherwise the one budget selecting it must allow
 * a disruption: its status.disruptionsAllowed is decremented with compare-and-swap and
 * the pod recorded in status.disruptedPods (so the disruption controller does not count
 * it while it terminates), then the pod gets the DisruptionTarget condition and is
 * deleted with the Eviction's DeleteOptions. No budget to spare is 429 TooManyRequests
 * (kubectl drain waits and retries); two budgets is a 500, as upstream.
 */
import type { KindDefinition, KubeObject, RequestContext } from "../../resources/kind.ts";
import {
  type PodDisruptionBudgetStatus,
  updateDisruptionAllowedCondition,
} from "../../resources/kinds/policy/pod-disruption-budget-status.ts";
import { LabelSelector, type MetaV1LabelSelector } from "../../resources/labels/label-selector.ts";
import type { AdmissionChain } from "../admission/admission.ts";
import {
  badRequest,
  conflict,
  forbidden,
  StatusError,
  timeout,
  tooManyRequests,
} from "../errors/status-error.ts";
import type { CreateAction } from "../handlers/resource-handler.ts";
import { listObjects } from "../registry/list-objects.ts";
import type { DeleteOptions, ResourceRegistry } from "../registry/resource-registry.ts";

/** Upstream's MaxDisruptedPodSize: evictions granted but not yet seen by the controller. */
export const MAX_DISRUPTED_PODS = 2000;
/** Upstream's EvictionsRetry: 20 tries, 500 ms apart (10 % jitter), on conflicts. */
const RETRY_STEPS = 20;
const RETRY_DELAY_MS = 500;

const budgetSubject = (name: string) => ({
  group: "policy",
  resource: "poddisruptionbudget",
  name,
});

/** What eviction needs from the pod and budget registries; a fake in tests. */
export interface EvictionBackend {
  getPod(namespace: string, name: string): Promise<KubeObject>;
  /**
   * Sets the pod's DisruptionTarget condition (reason EvictionByEvictionAPI), checking
   * `preconditions` against the stored pod first (409 Conflict); returns the pod written.
   */
  markDisruptionTarget(
    context: RequestContext,
    name: string,
    preconditions: DeleteOptions["preconditions"],
  ): Promise<KubeObject>;
  deletePod(context: RequestContext, name: string, options: DeleteOptions): Promise<void>;
  listBudgets(namespace: string): Promise<KubeObject[]>;
  getBudget(namespace: string, name: string): Promise<KubeObject>;
  /** Writes the budget's status if its metadata.resourceVersion is current, else 409. */
  updateBudgetStatus(budget: KubeObject): Promise<void>;
  /** Runs admission for CREATE pods/eviction (NodeRestriction limits nodes to their pods). */
  admit(context: RequestContext, eviction: KubeObject): Promise<void>;
}

export interface EvictionDeps {
  backend: EvictionBackend;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface PodShape {
  metadata?: KubeObject["metadata"];
  status?: { phase?: string; conditions?: { type?: string; status?: string }[] };
}

/** The create action for pods/eviction; undefined for every other kind and subresource. */
export function evictionAction(
  deps: EvictionDeps,
): (kind: KindDefinition, subresource: string) => CreateAction | undefined {
  const action: CreateAction = ({ context, path, object }) =>
    evictPod(deps, context, path.name, object);
  return (kind, subresource) =>
    kind.group === "" && kind.resource === "pods" && subresource === "eviction"
      ? action
      : undefined;
}

/** Evicts pod `name` in the request's namespace as `eviction` asks; answers a Success Status. */
export async function evictPod(
  deps: EvictionDeps,
  context: RequestContext,
  name: string,
  eviction: KubeObject,
): Promise<KubeObject> {
  const { backend } = deps;
  const sleep = deps.sleep ?? ((ms: number) => Bun.sleep(ms));
  const pause = () => sleep(RETRY_DELAY_MS * (1 + Math.random() * 0.1));
  if (
    eviction.apiVersion !== undefined &&
    eviction.apiVersion !== "policy/v1" &&
    eviction.apiVersion !== "policy/v1beta1"
  ) {
    throw badRequest(
      `the API version in the data (${eviction.apiVersion}) does not match the expected API version (policy/v1)`,
    );
  }
  if (eviction.kind !== undefined && eviction.kind !== "Eviction") {
    throw badRequest(
      `the kind in the data (${eviction.kind}) does not match the expected kind (Eviction)`,
    );
  }
  if (eviction.metadata?.name !== name) {
    throw badRequest("name in URL does not match name in Eviction object");
  }
  const original = evictionDeleteOptions(eviction, context.dryRun);
  await backend.admit(context, eviction);
  const namespace = context.namespace;
  const rvUnset = original.preconditions?.resourceVersion === undefined;

  let pod: PodShape | undefined;
  for (let attempt = 1; ; attempt++) {
    pod = (await backend.getPod(namespace, name)) as PodShape;
    if (!canIgnoreBudget(pod)) break;
    let options = original;
    // Nothing may make the pod count towards a budget between our read and the delete.
    if (shouldEnforceResourceVersion(pod) && rvUnset) {
      options = withResourceVersion(original, pod.metadata?.resourceVersion ?? "");
    }
    try {
      await addConditionAndDelete(backend, context, name, options);
      return success();
    } catch (error) {
      if (!(isConflict(error) && rvUnset && attempt < RETRY_STEPS)) throw error;
      await pause();
    }
  }

  const budgets = await matchingBudgets(backend, namespace, pod);
  if (budgets.length > 1) {
    // Upstream answers a bare Failure Status with code 500 (no reason).
    throw new StatusError({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message:
        "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
      reason: "",
      code: 500,
    });
  }
  let skipBudget = false;
  const [budget] = budgets;
  if (budget) {
    skipBudget = unhealthyPodMayGo(pod, budget);
    if (!skipBudget) await decrementWithRetries(deps, budget, name, original.dryRun, pause);
  }
  // An unready pod passed the budget only because it is unready: it must still be.
  const options = skipBudget
    ? withResourceVersion(original, pod.metadata?.resourceVersion ?? "")
    : original;
  try {
    await addConditionAndDelete(backend, context, name, options);
  } catch (error) {
    if (isConflict(error) && skipBudget && rvUnset) {
      throw budgetBusy(budget?.metadata?.name ?? "");
    }
    throw error;
  }
  return success();
}

/**
 * An unready pod does not count as healthy, so evicting it spends no disruption when
 * the budget says so (AlwaysAllow), or when the budget is met anyway (IfHealthyBudget,
 * the default).
 */
function unhealthyPodMayGo(pod: PodShape, budget: KubeObject): boolean {
  if (isPodReady(pod)) return false;
  const spec = (budget.spec ?? {}) as { unhealthyPodEvictionPolicy?: string };
  if (spec.unhealthyPodEvictionPolicy === "AlwaysAllow") return true;
  const status = (budget.status ?? {}) as PodDisruptionBudgetStatus;
  const desired = status.desiredHealthy ?? 0;
  return (status.currentHealthy ?? 0) >= desired && desired > 0;
}

async function decrementWithRetries(
  deps: EvictionDeps,
  first: KubeObject,
  podName: string,
  dryRun: boolean,
  pause: () => Promise<void>,
): Promise<void> {
  const { backend } = deps;
  const now = deps.now ?? Date.now;
  let budget = first;
  const budgetName = budget.metadata?.name ?? "";
  for (let attempt = 1; ; attempt++) {
    const status = checkAndDecrement(budget, podName, dryRun, new Date(now()));
    if (dryRun) return;
    try {
      await backend.updateBudgetStatus({ ...budget, status });
      return;
    } catch (error) {
      if (!isConflict(error)) throw error;
      if (attempt >= RETRY_STEPS) {
        throw timeout(`couldn't update PodDisruptionBudget "${budgetName}" due to conflicts`, 10);
      }
    }
    await pause();
    budget = await backend.getBudget(budget.metadata?.namespace ?? "", budgetName);
  }
}

/**
 * Upstream's checkAndDecrement: the budget's status after granting one disruption to
 * `podName`, or the error that refuses it (429 while the budget has none to spare or
 * has not caught up with its spec).
 */
export function checkAndDecrement(
  budget: KubeObject,
  podName: string,
  dryRun: boolean,
  now: Date,
): PodDisruptionBudgetStatus {
  const name = budget.metadata?.name ?? "";
  const status = structuredClone((budget.status ?? {}) as PodDisruptionBudgetStatus);
  if ((status.observedGeneration ?? 0) < (budget.metadata?.generation ?? 0)) {
    throw budgetBusy(name);
  }
  const allowed = status.disruptionsAllowed ?? 0;
  if (allowed < 0) throw forbidden(budgetSubject(name), "pdb disruptions allowed is negative");
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw forbidden(
      budgetSubject(name),
      "DisruptedPods map too big - too many evictions not confirmed by PDB controller",
    );
  }
  if (allowed === 0) {
    throw budgetViolation(
      `The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`,
      0,
    );
  }
  status.disruptionsAllowed = allowed - 1;
  if (status.disruptionsAllowed === 0) updateDisruptionAllowedCondition(status, now);
  if (dryRun) return status;
  status.disruptedPods = {
    ...(status.disruptedPods ?? {}),
    [podName]: now.toISOString().replace(/\.\d+Z$/, "Z"),
  };
  return status;
}

/** The budgets in the pod's namespace whose selector matches it (an empty one matches all). */
async function matchingBudgets(
  backend: EvictionBackend,
  namespace: string,
  pod: PodShape,
): Promise<KubeObject[]> {
  const budgets = await backend.listBudgets(namespace);
  return budgets.filter((budget) => {
    try {
      const selector = (budget.spec as { selector?: MetaV1LabelSelector | null } | undefined)
        ?.selector;
      return LabelSelector.fromObject(selector).matches(pod.metadata?.labels);
    } catch {
      // An invalid selector matches nothing.
      return false;
    }
  });
}

async function addConditionAndDelete(
  backend: EvictionBackend,
  context: RequestContext,
  name: string,
  options: DeleteOptions,
): Promise<void> {
  let next = options;
  if (!options.dryRun) {
    const marked = await backend.markDisruptionTarget(context, name, options.preconditions);
    // Our own status write moved the version the caller's precondition named.
    if (options.preconditions?.resourceVersion !== undefined) {
      next = withResourceVersion(options, marked.metadata?.resourceVersion ?? "");
    }
  }
  await backend.deletePod(context, name, next);
}

/** The Eviction's DeleteOptions, with the request's dryRun merged in (upstream's propagateDryRun). */
export function evictionDeleteOptions(eviction: KubeObject, requestDryRun: boolean): DeleteOptions {
  const body = (eviction.deleteOptions ?? {}) as {
    dryRun?: unknown;
    gracePeriodSeconds?: unknown;
    propagationPolicy?: unknown;
    orphanDependents?: unknown;
    preconditions?: { uid?: string | null; resourceVersion?: string | null } | null;
  };
  const dryRun = Array.isArray(body.dryRun) ? body.dryRun : [];
  for (const value of dryRun) {
    if (value !== "All") {
      throw badRequest(`dryRun: Unsupported value: "${String(value)}": supported values: "All"`);
    }
  }
  const options: DeleteOptions = { dryRun: requestDryRun || dryRun.length > 0 };
  if (body.gracePeriodSeconds !== undefined && body.gracePeriodSeconds !== null) {
    if (!Number.isInteger(body.gracePeriodSeconds)) {
      throw badRequest("gracePeriodSeconds: Invalid value: must be an integer");
    }
    options.gracePeriodSeconds = body.gracePeriodSeconds as number;
  }
  const policy = body.propagationPolicy;
  if (policy === "Orphan" || policy === "Background" || policy === "Foreground") {
    options.propagationPolicy = policy;
  } else if (policy !== undefined && policy !== null && policy !== "") {
    throw badRequest(
      `propagationPolicy: Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan"`,
    );
  } else if (body.orphanDependents === true) {
    options.propagationPolicy = "Orphan";
  }
  const pre = body.preconditions;
  if (pre && (pre.uid || pre.resourceVersion)) {
    options.preconditions = {
      ...(pre.uid ? { uid: pre.uid } : {}),
      ...(pre.resourceVersion ? { resourceVersion: pre.resourceVersion } : {}),
    };
  }
  return options;
}

/** Pending, finished or terminating pods cause no new disruption: no budget applies. */
export function canIgnoreBudget(pod: PodShape): boolean {
  const phase = pod.status?.phase;
  return (
    phase === "Succeeded" ||
    phase === "Failed" ||
    phase === "Pending" ||
    Boolean(pod.metadata?.deletionTimestamp)
  );
}

function shouldEnforceResourceVersion(pod: PodShape): boolean {
  const phase = pod.status?.phase;
  return !(phase === "Succeeded" || phase === "Failed" || pod.metadata?.deletionTimestamp);
}

function isPodReady(pod: PodShape): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

function withResourceVersion(options: DeleteOptions, resourceVersion: string): DeleteOptions {
  return { ...options, preconditions: { ...options.preconditions, resourceVersion } };
}

function isConflict(error: unknown): boolean {
  return error instanceof StatusError && error.code === 409;
}

function budgetViolation(cause: string, retryAfterSeconds: number): StatusError {
  const error = tooManyRequests(
    "Cannot evict pod as it would violate the pod's disruption budget.",
    retryAfterSeconds,
  );
  const details = error.status.details ?? {};
  if (retryAfterSeconds === 0) delete details.retryAfterSeconds;
  details.causes = [{ reason: "DisruptionBudget", message: cause }];
  error.status.details = details;
  return error;
}

function budgetBusy(name: string): StatusError {
  return budgetViolation(
    `The disruption budget ${name} is still being processed by the server.`,
    10,
  );
}

function success(): KubeObject {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    code: 201,
  } as KubeObject;
}

const DISRUPTION_TARGET = {
  type: "DisruptionTarget",
  status: "True",
  reason: "EvictionByEvictionAPI",
  message: "Eviction API: evicting",
};

/** The backend on this server's registries. */
export function registryEvictionBackend(deps: {
  pods: ResourceRegistry;
  budgets: ResourceRegistry;
  admission: AdmissionChain;
}): EvictionBackend {
  const { pods, budgets, admission } = deps;
  return {
    getPod: (namespace, name) => pods.get(namespace, name),
    markDisruptionTarget: (context, name, preconditions) =>
      pods.modify(
        context,
        name,
        (pod) => {
          const meta = pod.metadata ?? {};
          const subject = { group: "", resource: "Pod", name };
          if (preconditions?.uid && preconditions.uid !== meta.uid) {
            throw conflict(
              subject,
              `the UID in the precondition (${preconditions.uid}) does not match the UID in record (${meta.uid ?? ""}). The object might have been deleted and then recreated`,
            );
          }
          const rv = preconditions?.resourceVersion;
          if (rv && rv !== meta.resourceVersion) {
            throw conflict(
              subject,
              `the ResourceVersion in the precondition (${rv}) does not match the ResourceVersion in record (${meta.resourceVersion ?? ""}). The object might have been modified`,
            );
          }
          const status = (pod.status ?? {}) as { conditions?: Record<string, unknown>[] };
          const conditions = status.conditions ?? [];
          const old = conditions.find((c) => c.type === DISRUPTION_TARGET.type);
          const stamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
          const condition = {
            ...DISRUPTION_TARGET,
            lastTransitionTime:
              old?.status === DISRUPTION_TARGET.status ? old.lastTransitionTime : stamp,
          };
          status.conditions = old
            ? conditions.map((c) => (c === old ? condition : c))
            : [...conditions, condition];
          pod.status = status;
          return pod;
        },
        { dryRun: false, subresource: "status" },
      ),
    deletePod: async (context, name, options) => {
      await pods.delete(context, name, options);
    },
    listBudgets: async (namespace) =>
      (await listObjects(budgets, namespace, { predicate: null })).items,
    getBudget: (namespace, name) => budgets.get(namespace, name),
    updateBudgetStatus: async (budget) => {
      const namespace = budget.metadata?.namespace ?? "";
      await budgets.update(
        { user: "system:apiserver", groups: ["system:masters"], namespace, dryRun: false },
        budget.metadata?.name ?? "",
        budget,
        { dryRun: false, subresource: "status" },
      );
    },
    admit: async (context, eviction) => {
      const request = {
        operation: "CREATE" as const,
        kind: pods.kind,
        object: eviction,
        oldObject: null,
        context,
        subresource: "eviction",
      };
      await admission.mutate(request);
      await admission.validate(request);
    },
  };
}
