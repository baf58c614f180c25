/**
 * ResourceQuota admission (upstream plugin/pkg/admission/resourcequota): a write that
 * would take a namespace past one of its quotas is refused, and one that is admitted is
 * charged to the quota's status.used at once, with compare-and-swap, so concurrent
 * writes can never overrun a quota together. A charge whose write then fails is given
 * back; usage freed by deletions is the recount's to find (`quotaUsage`).
 */
import type { ObjectReader, ResourceRef } from "../../auth/types.ts";
import type { KubeObject } from "../../resources/kind.ts";
import { recordOf } from "../../resources/kinds/core/json-value.ts";
import { Quantity } from "../../resources/quantity/quantity.ts";
import { conflict, modifiedConflictReason, StatusError } from "../errors/status-error.ts";
import type { AdmissionPlugin, AdmissionRequest } from "./admission.ts";
import { denyRequest, requestNamespace } from "./admission-support.ts";
import {
  evaluatorFor,
  evaluatorForQuotaResource,
  inQuotaScopes,
  type QuotaEvaluator,
} from "./quota-evaluators.ts";
import {
  formatResourceList,
  mask,
  type ResourceList,
  readResourceList,
  subtract,
  subtractNonNegative,
  sum,
  withoutZeros,
  writeResourceList,
} from "./resource-lists.ts";

/** The store side of quota status: the latest version, and a compare-and-swap write. */
export interface QuotaAccess {
  /** The quota as stored now (a 404 StatusError when it is gone). */
  get(namespace: string, name: string): Promise<KubeObject>;
  /**
   * Writes `status`, only if metadata.resourceVersion is still the stored one; a
   * StatusError with code 409 otherwise.
   */
  updateStatus(quota: KubeObject): Promise<KubeObject>;
}

const QUOTAS: ResourceRef = { group: "", resource: "resourcequotas" };
/**
 * Compare-and-swap attempts per quota before the request fails with a conflict.
 * Each lost attempt means another write won, so this bounds the racers one
 * request can wait behind, not the odds of success.
 */
const MAX_ATTEMPTS = 100;

/** Resources that are never stored, and events, which quota has never counted. */
const ignoredResources = new Set([
  "/bindings",
  "/componentstatuses",
  "/events",
  "events.k8s.io/events",
  "authentication.k8s.io/tokenreviews",
  "authentication.k8s.io/selfsubjectreviews",
  "authorization.k8s.io/subjectaccessreviews",
  "authorization.k8s.io/selfsubjectaccessreviews",
  "authorization.k8s.io/localsubjectaccessreviews",
  "authorization.k8s.io/selfsubjectrulesreviews",
]);

/**
 * The usage a quota controller would record in status.used: every object of the
 * quota's namespace within its scopes, summed for each resource of spec.hard that can be
 * measured.
 */
export function quotaUsage(quota: KubeObject, reader: ObjectReader): Record<string, string> {
  const namespace = quota.metadata?.namespace ?? "";
  const byEvaluator = new Map<string, { evaluator: QuotaEvaluator; names: string[] }>();
  for (const name of Object.keys(recordOf(recordOf(quota.spec)?.hard) ?? {})) {
    const evaluator = evaluatorForQuotaResource(name);
    if (!evaluator) continue;
    const key = `${evaluator.ref.group}/${evaluator.ref.resource}`;
    const entry = byEvaluator.get(key) ?? { evaluator, names: [] };
    entry.names.push(name);
    byEvaluator.set(key, entry);
  }
  const used: ResourceList = new Map();
  for (const { evaluator, names } of byEvaluator.values()) {
    for (const name of names) used.set(name, Quantity.zero());
    for (const object of listOrEmpty(reader, evaluator.ref, namespace)) {
      if (!inQuotaScopes(evaluator, quota, object)) continue;
      for (const [name, quantity] of mask(evaluator.usage(object), names)) {
        used.set(name, (used.get(name) as Quantity).add(quantity));
      }
    }
  }
  return writeResourceList(used);
}

/** Kinds the server does not serve have no objects to count. */
function listOrEmpty(reader: ObjectReader, ref: ResourceRef, namespace: string) {
  try {
    return reader.list(ref, namespace);
  } catch {
    return [];
  }
}

/** What a request asks of a namespace's quotas. */
interface Plan {
  namespace: string;
  evaluator: QuotaEvaluator;
  /** Usage the write adds (an update: new minus old), zero entries removed. */
  delta: ResourceList;
  quotas: readonly KubeObject[];
}

/** A charge made to one quota, to give back if the write fails. */
interface Charge {
  namespace: string;
  name: string;
  requested: ResourceList;
}

interface Outcome {
  hard: ResourceList;
  used: ResourceList;
  requested: ResourceList;
  next: ResourceList;
  exceeded: string[];
}

export class ResourceQuotaAdmission implements AdmissionPlugin {
  readonly name = "ResourceQuota";
  private readonly charges = new WeakMap<KubeObject, Charge[]>();

  constructor(
    private readonly reader: ObjectReader,
    private readonly access: QuotaAccess,
  ) {}

  /**
   * Checks and charges. It must be the last validating plugin: a later denial would
   * leave the charge in place (nothing calls `aborted` then).
   */
  async validate(request: AdmissionRequest): Promise<void> {
    const plan = this.plan(request);
    if (!plan) return;
    const charges = await this.chargeAll(request, plan);
    if (charges.length > 0) this.charges.set(request.object, charges);
  }

  /** The write was not stored: give back what it was charged. */
  async aborted(request: AdmissionRequest): Promise<void> {
    const charges = this.charges.get(request.object);
    if (!charges) return;
    this.charges.delete(request.object);
    await Promise.all(charges.map((charge) => this.release(charge).catch(() => {})));
  }

  private plan(request: AdmissionRequest): Plan | undefined {
    if (request.operation === "DELETE" || request.subresource !== "") return undefined;
    const namespace = requestNamespace(request);
    const ref = { group: request.kind.group, resource: request.kind.resource };
    if (!namespace || ignoredResources.has(`${ref.group}/${ref.resource}`)) return undefined;
    const evaluator = evaluatorFor(ref);
    if (request.operation === "UPDATE" && !evaluator.handlesUpdate) return undefined;
    const quotas = this.reader
      .list(QUOTAS, namespace)
      .filter((quota) => quotaApplies(evaluator, quota, request.object));
    if (quotas.length === 0) return undefined;
    const delta = this.delta(request, evaluator);
    if (delta.size === 0) return undefined;
    for (const quota of quotas) {
      const tracked = [...readResourceList(recordOf(quota.spec)?.hard).keys()].filter((name) =>
        evaluator.tracks(name),
      );
      const problem = evaluator.constraints(tracked, request.object);
      if (problem) throw denyRequest(request, `failed quota: ${quotaName(quota)}: ${problem}`);
    }
    return { namespace, evaluator, delta, quotas };
  }

  private delta(request: AdmissionRequest, evaluator: QuotaEvaluator): ResourceList {
    const usage = evaluator.usage(request.object);
    const negative = [...usage].filter(([, quantity]) => quantity.sign() < 0).map(([n]) => n);
    if (negative.length > 0) {
      throw denyRequest(
        request,
        `quota usage is negative for resource(s): ${negative.sort().join(",")}`,
      );
    }
    if (request.operation !== "UPDATE" || !request.oldObject) return withoutZeros(usage);
    const previous = evaluator.usage(request.oldObject);
    return withoutZeros(
      evaluator.negativeDeltas ? subtract(usage, previous) : subtractNonNegative(usage, previous),
    );
  }

  /** Charges every quota in turn; if one refuses, the ones already charged are given back. */
  private async chargeAll(request: AdmissionRequest, plan: Plan): Promise<Charge[]> {
    const done: Charge[] = [];
    try {
      for (const quota of plan.quotas) {
        const charge = await this.chargeOne(request, plan, quota);
        if (charge) done.push(charge);
      }
    } catch (error) {
      await Promise.all(done.map((charge) => this.release(charge).catch(() => {})));
      throw error;
    }
    return done;
  }

  /**
   * Checks one quota and writes its new usage. The cached copy is tried first; a
   * conflict, or a refusal based on the cached copy, is settled on the stored version.
   */
  private async chargeOne(
    request: AdmissionRequest,
    plan: Plan,
    cached: KubeObject,
  ): Promise<Charge | undefined> {
    let quota: KubeObject | undefined = cached;
    let fresh = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && quota; attempt++) {
      const outcome = this.evaluate(quota, plan.delta);
      if (outcome.requested.size === 0) return undefined;
      if (outcome.exceeded.length > 0) {
        if (fresh) throw denyRequest(request, exceededMessage(quota, outcome));
        quota = await this.latest(plan.namespace, quota);
        fresh = true;
        continue;
      }
      if (request.context.dryRun) return undefined;
      try {
        await this.access.updateStatus(withUsage(quota, outcome.hard, outcome.next));
        return { namespace: plan.namespace, name: quotaName(quota), requested: outcome.requested };
      } catch (error) {
        if (!isConflict(error)) throw error;
        quota = await this.latest(plan.namespace, quota);
        fresh = true;
      }
    }
    // The quota was deleted meanwhile: nothing to charge.
    if (!quota) return undefined;
    throw conflict({ ...QUOTAS, name: quotaName(quota) }, modifiedConflictReason);
  }

  private evaluate(quota: KubeObject, delta: ResourceList): Outcome {
    const hard = readResourceList(recordOf(quota.spec)?.hard);
    const requested = mask(delta, hard.keys());
    const used = this.usedOf(quota, hard);
    const next = sum(used, requested);
    const exceeded = [...requested.keys()].filter(
      (name) => (next.get(name) as Quantity).cmp(hard.get(name) as Quantity) > 0,
    );
    return { hard, used, requested, next, exceeded };
  }

  /** status.used, with resources it does not show yet counted afresh. */
  private usedOf(quota: KubeObject, hard: ResourceList): ResourceList {
    const used = readResourceList(recordOf(quota.status)?.used);
    const missing = [...hard.keys()].filter(
      (name) => !used.has(name) && evaluatorForQuotaResource(name) !== undefined,
    );
    if (missing.length === 0) return used;
    const recount = readResourceList(quotaUsage(quota, this.reader));
    for (const name of missing) used.set(name, recount.get(name) ?? Quantity.zero());
    return used;
  }

  /** The stored version, or undefined once the quota is deleted. */
  private async latest(namespace: string, quota: KubeObject): Promise<KubeObject | undefined> {
    try {
      return await this.access.get(namespace, quotaName(quota));
    } catch (error) {
      if (error instanceof StatusError && error.code === 404) return undefined;
      throw error;
    }
  }

  /** Subtracts a charge again, retrying on conflicts; usage never goes below zero. */
  private async release(charge: Charge): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const quota = await this.latest(charge.namespace, { metadata: { name: charge.name } });
      if (!quota) return;
      const hard = readResourceList(recordOf(quota.spec)?.hard);
      const used = readResourceList(recordOf(quota.status)?.used);
      const reduced = subtractNonNegative(used, mask(charge.requested, used.keys()));
      try {
        await this.access.updateStatus(withUsage(quota, hard, reduced));
        return;
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
  }
}

/**
 * A quota applies when it limits something the object uses and the object is in its
 * scopes (upstream evaluator Matches).
 */
function quotaApplies(evaluator: QuotaEvaluator, quota: KubeObject, object: KubeObject): boolean {
  const hard = Object.keys(recordOf(recordOf(quota.spec)?.hard) ?? {});
  return hard.some((name) => evaluator.tracks(name)) && inQuotaScopes(evaluator, quota, object);
}

function quotaName(quota: KubeObject): string {
  return quota.metadata?.name ?? "";
}

function isConflict(error: unknown): boolean {
  return error instanceof StatusError && error.code === 409;
}

/** A copy of the quota with status.hard from spec.hard and status.used as given. */
function withUsage(quota: KubeObject, hard: ResourceList, used: ResourceList): KubeObject {
  const copy = structuredClone(quota);
  copy.status = {
    ...recordOf(copy.status),
    hard: writeResourceList(hard),
    used: writeResourceList(used),
  };
  return copy;
}

function exceededMessage(quota: KubeObject, outcome: Outcome): string {
  const { exceeded } = outcome;
  return [
    `exceeded quota: ${quotaName(quota)}`,
    `requested: ${formatResourceList(mask(outcome.requested, exceeded))}`,
    `used: ${formatResourceList(mask(outcome.used, exceeded))}`,
    `limited: ${formatResourceList(mask(outcome.hard, exceeded))}`,
  ].join(", ");
}
