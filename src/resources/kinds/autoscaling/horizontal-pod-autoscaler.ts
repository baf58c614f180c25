/**
 * autoscaling/v2 HorizontalPodAutoscaler: scales a workload's `/scale` between min and max
 * replicas from metrics. Defaults and validation as upstream's (`pkg/apis/autoscaling`);
 * the metric sources' own fields (targets, selectors) are checked only for presence.
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import {
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { nameIsDNSSubdomain, validatePathSegmentName } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { validateNonnegative } from "../apps/workload-validation.ts";
import {
  ensureRecord,
  type JsonRecord,
  recordList,
  recordOf,
  stringOf,
} from "../core/json-value.ts";

/** Upstream's default target: 80% of the requested CPU. */
const defaultCPUUtilization = 80;
const maxPeriodSeconds = 1800;
const maxStabilizationWindowSeconds = 3600;
const selectPolicies = ["Disabled", "Max", "Min"];
const scalingPolicyTypes = ["Percent", "Pods"];
/** Metric source types and the field each one fills. */
const metricSources: Readonly<Record<string, string>> = {
  ContainerResource: "containerResource",
  External: "external",
  Object: "object",
  Pods: "pods",
  Resource: "resource",
};
const metricSourceTypes = Object.keys(metricSources);

export const horizontalPodAutoscalerKind: KindDefinition = {
  group: "autoscaling",
  version: "v2",
  kind: "HorizontalPodAutoscaler",
  resource: "horizontalpodautoscalers",
  singular: "horizontalpodautoscaler",
  namespaced: true,
  shortNames: ["hpa"],
  categories: ["all"],
  schemaRef: "autoscaling/v2.HorizontalPodAutoscaler",
  hasStatus: true,
  subresources: ["status"],
  tracksGeneration: true,

  defaults: defaultHorizontalPodAutoscaler,
  prepareForCreate(object) {
    object.status = {};
  },
  prepareForUpdate(object, old) {
    object.status = structuredClone(old.status ?? {});
  },
  validate: (object) => validateHorizontalPodAutoscaler(object),
  validateUpdate: (object) => {
    const status = recordOf(object.status) ?? {};
    return [
      ...validateNonnegative(status.currentReplicas, fieldPath("status", "currentReplicas")),
      ...validateNonnegative(status.desiredReplicas, fieldPath("status", "desiredReplicas")),
    ];
  },
};

/**
 * At least one replica, CPU utilization as the metric when none is given, and scaling
 * rules completed from upstream's defaults once any behavior is set: scale up by at most
 * 4 pods or 100% per 15 s, scale down by up to 100% per 15 s after the controller's
 * stabilization window.
 */
export function defaultHorizontalPodAutoscaler(object: KubeObject): void {
  const spec = ensureRecord(object, "spec");
  spec.minReplicas ??= 1;
  if (recordList(spec.metrics).length === 0) {
    spec.metrics = [
      {
        type: "Resource",
        resource: {
          name: "cpu",
          target: { type: "Utilization", averageUtilization: defaultCPUUtilization },
        },
      },
    ];
  }
  const behavior = recordOf(spec.behavior);
  if (behavior === undefined) return;
  behavior.scaleUp = completeRules(recordOf(behavior.scaleUp), {
    stabilizationWindowSeconds: 0,
    selectPolicy: "Max",
    policies: [
      { type: "Pods", value: 4, periodSeconds: 15 },
      { type: "Percent", value: 100, periodSeconds: 15 },
    ],
  });
  // No stabilization window here: the controller's --horizontal-pod-autoscaler-downscale-stabilization applies.
  behavior.scaleDown = completeRules(recordOf(behavior.scaleDown), {
    selectPolicy: "Max",
    policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
  });
}

function completeRules(rules: JsonRecord | undefined, defaults: JsonRecord): JsonRecord {
  const complete = structuredClone(defaults);
  for (const field of ["selectPolicy", "stabilizationWindowSeconds", "policies", "tolerance"]) {
    if (rules?.[field] != null) complete[field] = rules[field];
  }
  return complete;
}

export function validateHorizontalPodAutoscaler(object: KubeObject): FieldError[] {
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const spec = recordOf(object.spec) ?? {};
  const path = fieldPath("spec");
  // HPAScaleToZero is alpha and off: at least one replica.
  const minReplicas = spec.minReplicas;
  if (typeof minReplicas === "number" && minReplicas < 1) {
    errors.push(
      invalid(path.child("minReplicas"), minReplicas, "must be greater than or equal to 1"),
    );
  }
  const maxReplicas = typeof spec.maxReplicas === "number" ? spec.maxReplicas : 0;
  if (maxReplicas < 1) {
    errors.push(invalid(path.child("maxReplicas"), maxReplicas, "must be greater than 0"));
  }
  if (typeof minReplicas === "number" && maxReplicas < minReplicas) {
    errors.push(
      invalid(
        path.child("maxReplicas"),
        maxReplicas,
        "must be greater than or equal to `minReplicas`",
      ),
    );
  }
  errors.push(
    ...validateObjectReference(recordOf(spec.scaleTargetRef) ?? {}, path.child("scaleTargetRef")),
  );
  recordList(spec.metrics).forEach((metric, i) => {
    errors.push(...validateMetricSpec(metric, path.child("metrics").index(i)));
  });
  const behavior = recordOf(spec.behavior);
  if (behavior !== undefined) {
    for (const direction of ["scaleUp", "scaleDown"]) {
      const rules = recordOf(behavior[direction]);
      if (rules !== undefined) {
        errors.push(...validateScalingRules(rules, path.child("behavior", direction)));
      }
    }
  }
  return errors;
}

function validateObjectReference(reference: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of ["kind", "name"]) {
    const value = stringOf(reference[field]);
    if (value === "") errors.push(required(path.child(field), ""));
    else {
      for (const message of validatePathSegmentName(value, false)) {
        errors.push(invalid(path.child(field), value, message));
      }
    }
  }
  return errors;
}

function validateMetricSpec(metric: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const type = stringOf(metric.type);
  if (type === "") errors.push(required(path.child("type"), "must specify a metric source type"));
  if (!metricSourceTypes.includes(type)) {
    errors.push(notSupported(path.child("type"), type, metricSourceTypes));
  }
  const present = Object.values(metricSources).filter(
    (field) => recordOf(metric[field]) !== undefined,
  );
  const expected = metricSources[type];
  if (expected !== undefined && recordOf(metric[expected]) === undefined) {
    errors.push(
      required(path.child(expected), "must populate information for the given metric source"),
    );
  }
  if (expected === undefined) {
    errors.push(notSupported(path.child("type"), type, metricSourceTypes));
  }
  if (present.length !== 1) {
    for (const field of present) {
      if (field !== expected) {
        errors.push(forbidden(path.child(field), "must populate the given metric source only"));
      }
    }
  }
  const objectSource = recordOf(metric.object);
  if (present.length === 1 && objectSource !== undefined) {
    errors.push(
      ...validateObjectReference(
        recordOf(objectSource.describedObject) ?? {},
        path.child("object", "describedObject"),
      ),
    );
  }
  return errors;
}

function validateScalingRules(rules: JsonRecord, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const window = rules.stabilizationWindowSeconds;
  if (typeof window === "number" && window < 0) {
    errors.push(
      invalid(
        path.child("stabilizationWindowSeconds"),
        window,
        "must be greater than or equal to zero",
      ),
    );
  }
  if (typeof window === "number" && window > maxStabilizationWindowSeconds) {
    errors.push(
      invalid(
        path.child("stabilizationWindowSeconds"),
        window,
        `must be less than or equal to ${maxStabilizationWindowSeconds}`,
      ),
    );
  }
  if (rules.selectPolicy != null && !selectPolicies.includes(stringOf(rules.selectPolicy))) {
    errors.push(notSupported(path.child("selectPolicy"), rules.selectPolicy, selectPolicies));
  }
  const policiesPath = path.child("policies");
  const policies = recordList(rules.policies);
  if (policies.length === 0)
    errors.push(required(policiesPath, "must specify at least one Policy"));
  policies.forEach((policy, i) => {
    const policyPath = policiesPath.index(i);
    const type = stringOf(policy.type);
    if (!scalingPolicyTypes.includes(type)) {
      errors.push(notSupported(policyPath.child("type"), type, scalingPolicyTypes));
    }
    const value = typeof policy.value === "number" ? policy.value : 0;
    if (value <= 0)
      errors.push(invalid(policyPath.child("value"), value, "must be greater than zero"));
    const period = typeof policy.periodSeconds === "number" ? policy.periodSeconds : 0;
    if (period <= 0) {
      errors.push(invalid(policyPath.child("periodSeconds"), period, "must be greater than zero"));
    }
    if (period > maxPeriodSeconds) {
      errors.push(
        invalid(
          policyPath.child("periodSeconds"),
          period,
          `must be less than or equal to ${maxPeriodSeconds}`,
        ),
      );
    }
  });
  return errors;
}
