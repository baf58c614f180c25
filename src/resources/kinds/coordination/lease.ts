/**
 * coordination.k8s.io/v1 Lease: node heartbeats, leader election (kubun's own leader
 * writes one) and coordinated leader election. Validation as upstream's
 * `pkg/apis/coordination/validation`.
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { type FieldError, forbidden, invalid, notSupported } from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { isQualifiedName } from "../../validation/qualified-name.ts";
import { recordOf, stringOf } from "../core/json-value.ts";

/** Strategies Kubernetes defines; others must be qualified names of the form `example.com/name`. */
const leaseStrategies = ["OldestEmulationVersion"];

export const leaseKind: KindDefinition = {
  group: "coordination.k8s.io",
  version: "v1",
  kind: "Lease",
  resource: "leases",
  singular: "lease",
  namespaced: true,
  schemaRef: "coordination/v1.Lease",
  hasStatus: false,

  validate: (object) => validateLease(object),
};

export function validateLease(object: KubeObject): FieldError[] {
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  const spec = recordOf(object.spec) ?? {};
  const path = fieldPath("spec");
  const duration = spec.leaseDurationSeconds;
  if (typeof duration === "number" && duration <= 0) {
    errors.push(invalid(path.child("leaseDurationSeconds"), duration, "must be greater than 0"));
  }
  const transitions = spec.leaseTransitions;
  if (typeof transitions === "number" && transitions < 0) {
    errors.push(
      invalid(path.child("leaseTransitions"), transitions, "must be greater than or equal to 0"),
    );
  }
  if (spec.strategy != null) {
    errors.push(...validateStrategy(stringOf(spec.strategy), path.child("strategy")));
  }
  if (stringOf(spec.preferredHolder) !== "" && stringOf(spec.strategy) === "") {
    errors.push(
      forbidden(path.child("preferredHolder"), "may only be specified if `strategy` is defined"),
    );
  }
  return errors;
}

/** Upstream reports these one level too deep (`spec.strategy.strategy`); kept verbatim. */
function validateStrategy(strategy: string, path: FieldPath): FieldError[] {
  if (!strategy.includes("/")) {
    return leaseStrategies.includes(strategy)
      ? []
      : [notSupported(path.child("strategy"), strategy, leaseStrategies)];
  }
  return isQualifiedName(strategy).map((message) =>
    invalid(path.child("strategy"), strategy, message),
  );
}
