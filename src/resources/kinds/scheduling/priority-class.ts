/**
 * scheduling.k8s.io/v1 PriorityClass: a named pod priority. Defaults and validation as
 * upstream's (`pkg/apis/scheduling`).
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import {
  type FieldError,
  forbidden,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { validateImmutable } from "../../validation/immutable.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { stringOf } from "../core/json-value.ts";

/** User-defined priorities stay below the system range so critical pods always win. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
export const SYSTEM_PRIORITY_CLASS_PREFIX = "system-";

/** The only names with the reserved prefix, with the values the system gives them. */
export const systemPriorityClasses: readonly { name: string; value: number }[] = [
  { name: "system-node-critical", value: SYSTEM_CRITICAL_PRIORITY + 1000 },
  { name: "system-cluster-critical", value: SYSTEM_CRITICAL_PRIORITY },
];

const preemptionPolicies = ["PreemptLowerPriority", "Never"];

export const priorityClassKind: KindDefinition = {
  group: "scheduling.k8s.io",
  version: "v1",
  kind: "PriorityClass",
  resource: "priorityclasses",
  singular: "priorityclass",
  namespaced: false,
  shortNames: ["pc"],
  schemaRef: "scheduling/v1.PriorityClass",
  hasStatus: false,

  defaults(object) {
    object.preemptionPolicy ??= "PreemptLowerPriority";
  },
  validate: (object) => validatePriorityClass(object),
  validateUpdate: (object, old) => validatePriorityClassUpdate(object, old),
};

export function validatePriorityClass(object: KubeObject): FieldError[] {
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: false,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const name = object.metadata?.name ?? "";
  const value = typeof object.value === "number" ? object.value : 0;
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const problem = systemPriorityClassProblem(name, value, object.globalDefault === true);
    if (problem !== undefined) {
      errors.push(
        forbidden(
          fieldPath("metadata", "name"),
          `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${problem}`,
        ),
      );
    }
  } else if (value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errors.push(
      forbidden(
        fieldPath("value"),
        `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`,
      ),
    );
  }
  if (object.preemptionPolicy != null) {
    const policy = stringOf(object.preemptionPolicy);
    if (policy === "") errors.push(required(fieldPath("preemptionPolicy"), ""));
    else if (!preemptionPolicies.includes(policy)) {
      errors.push(notSupported(fieldPath("preemptionPolicy"), policy, preemptionPolicies));
    }
  }
  return errors;
}

/** Pods carry the priority value they were admitted with, so it can never change. */
export function validatePriorityClassUpdate(object: KubeObject, old: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  if (object.value !== old.value) {
    errors.push(forbidden(fieldPath("value"), "may not be changed in an update."));
  }
  errors.push(
    ...validateImmutable(
      old.preemptionPolicy,
      object.preemptionPolicy,
      fieldPath("preemptionPolicy"),
    ),
  );
  return errors;
}

function systemPriorityClassProblem(
  name: string,
  value: number,
  globalDefault: boolean,
): string | undefined {
  const known = systemPriorityClasses.find((pc) => pc.name === name);
  if (known === undefined) return `${name} is not a known system priority class`;
  if (known.value !== value) return `value of ${name} PriorityClass must be ${known.value}`;
  if (globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}
