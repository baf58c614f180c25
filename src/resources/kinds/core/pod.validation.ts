/**
 * Pod validation (upstream ValidatePodCreate and ValidatePodUpdate). A running pod's spec
 * is frozen except for container images, a shorter activeDeadlineSeconds, added
 * tolerations, removed scheduling gates and (for gated pods) added node selectors;
 * anything else gets upstream's "pod updates may not change fields other than" error.
 */

import type { KubeObject } from "../../kind.ts";
import { type FieldError, forbidden, invalid, required } from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { semanticEqual } from "../../validation/immutable.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";
import { inclusiveRangeError } from "../../validation/validation-messages.ts";
import { validateImageWhitespace } from "./container.validation.ts";
import {
  cloneJson,
  isRecord,
  type JsonRecord,
  recordList,
  recordOf,
  stringMap,
  stringOf,
} from "./json-value.ts";
import { validatePodSpec } from "./pod-spec.validation.ts";
import { describeDiff } from "./spec-diff.ts";

const mirrorPodAnnotation = "kubernetes.io/config.mirror";
const deletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost";
const appArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/";
const maxInt32 = 2147483647;

const updatablePodSpecFields = [
  "`spec.containers[*].image`",
  "`spec.initContainers[*].image`",
  "`spec.activeDeadlineSeconds`",
  "`spec.tolerations` (only additions to existing tolerations)",
  "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
];

/** Metadata, pod-specific annotations and spec: what both create and update check. */
export function validatePodMetadataAndSpec(pod: KubeObject): FieldError[] {
  const metadata = pod.metadata ?? {};
  const spec = recordOf(pod.spec) ?? {};
  const specPath = fieldPath("spec");
  const errors = validateObjectMeta(metadata, {
    namespaced: true,
    nameValidator: nameIsDNSSubdomain,
    standardFinalizersOnly: true,
  });
  errors.push(...validatePodAnnotations(stringMap(metadata.annotations), spec));
  errors.push(
    ...validatePodSpec(spec, specPath, { isPod: true, podName: stringOf(metadata.name) }),
  );
  // Projected tokens are issued for the pod's service account; without one there is none.
  if (stringOf(spec.serviceAccountName) === "") {
    recordList(spec.volumes).forEach((volume, i) => {
      recordList(recordOf(volume.projected)?.sources).forEach((source, j) => {
        if (isRecord(source.serviceAccountToken)) {
          errors.push(
            forbidden(
              specPath
                .child("volumes")
                .index(i)
                .child("projected", "sources")
                .index(j)
                .child("serviceAccountToken"),
              "must not be specified when serviceAccountName is not set",
            ),
          );
        }
      });
    });
  }
  for (const list of ["containers", "initContainers"]) {
    recordList(spec[list]).forEach((container, i) => {
      errors.push(...validateImageWhitespace(container, specPath.child(list).index(i)));
    });
  }
  return errors;
}

/** Checks only a create makes: ephemeral containers come through their own subresource. */
export function validatePodCreateOnly(pod: KubeObject): FieldError[] {
  const spec = recordOf(pod.spec) ?? {};
  const errors: FieldError[] = [];
  if (recordList(spec.ephemeralContainers).length > 0) {
    errors.push(forbidden(fieldPath("spec", "ephemeralContainers"), "cannot be set on create"));
  }
  if (stringOf(spec.nodeName) !== "" && recordList(spec.schedulingGates).length > 0) {
    errors.push(
      forbidden(
        fieldPath("spec", "nodeName"),
        "cannot be set until all schedulingGates have been cleared",
      ),
    );
  }
  return errors;
}

function validatePodAnnotations(
  annotations: Record<string, string>,
  spec: JsonRecord,
): FieldError[] {
  const path = fieldPath("metadata", "annotations");
  const errors: FieldError[] = [];
  const mirror = annotations[mirrorPodAnnotation];
  if (mirror !== undefined && stringOf(spec.nodeName) === "") {
    errors.push(
      invalid(
        path.key(mirrorPodAnnotation),
        mirror,
        "must set spec.nodeName if mirror pod annotation is set",
      ),
    );
  }
  const cost = annotations[deletionCostAnnotation];
  if (cost !== undefined && !isInt32(cost)) {
    errors.push(invalid(path.key(deletionCostAnnotation), cost, "must be a 32bit integer"));
  }
  return errors;
}

function isInt32(value: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(value)) return false;
  const number = Number(value);
  return number >= -maxInt32 - 1 && number <= maxInt32;
}

/** Mirror pods are the kubelet's, and AppArmor annotations were replaced by fields. */
function validatePodAnnotationUpdates(
  newAnnotations: Record<string, string>,
  oldAnnotations: Record<string, string>,
): FieldError[] {
  const path = fieldPath("metadata", "annotations");
  const errors: FieldError[] = [];
  for (const [key, oldValue] of Object.entries(oldAnnotations)) {
    if (newAnnotations[key] === oldValue) continue;
    if (key.startsWith(appArmorAnnotationPrefix)) {
      errors.push(forbidden(path.key(key), "may not remove or update AppArmor annotations"));
    }
    if (key === mirrorPodAnnotation) {
      errors.push(forbidden(path.key(key), "may not remove or update mirror pod annotation"));
    }
  }
  for (const key of Object.keys(newAnnotations)) {
    if (key in oldAnnotations) continue;
    if (key.startsWith(appArmorAnnotationPrefix)) {
      errors.push(forbidden(path.key(key), "may not add AppArmor annotations"));
    }
    if (key === mirrorPodAnnotation) {
      errors.push(forbidden(path.key(key), "may not add mirror pod annotation"));
    }
  }
  return errors;
}

function validateContainerUpdates(
  newContainers: JsonRecord[],
  oldContainers: JsonRecord[],
  path: FieldPath,
): { errors: FieldError[]; stop: boolean } {
  if (newContainers.length !== oldContainers.length) {
    return {
      errors: [forbidden(path, "pod updates may not add or remove containers")],
      stop: true,
    };
  }
  const errors: FieldError[] = [];
  newContainers.forEach((container, i) => {
    if (stringOf(container.image) === "") errors.push(required(path.index(i).child("image"), ""));
    errors.push(...validateImageWhitespace(container, path.index(i)));
  });
  return { errors, stop: false };
}

/** The update-only rules; `validatePodMetadataAndSpec` runs on the new pod as well. */
export function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const errors = validateObjectMetaUpdate(pod.metadata ?? {}, old.metadata ?? {}, {
    standardFinalizersOnly: true,
  });
  errors.push(
    ...validatePodAnnotationUpdates(
      stringMap(pod.metadata?.annotations),
      stringMap(old.metadata?.annotations),
    ),
  );
  const specPath = fieldPath("spec");
  const newSpec = recordOf(pod.spec) ?? {};
  const oldSpec = recordOf(old.spec) ?? {};
  for (const list of ["containers", "initContainers"]) {
    const result = validateContainerUpdates(
      recordList(newSpec[list]),
      recordList(oldSpec[list]),
      specPath.child(list),
    );
    errors.push(...result.errors);
    if (result.stop) return errors;
  }
  const deadlinePath = specPath.child("activeDeadlineSeconds");
  const newDeadline = newSpec.activeDeadlineSeconds;
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  if (typeof newDeadline === "number") {
    if (newDeadline < 0 || newDeadline > maxInt32) {
      errors.push(invalid(deadlinePath, newDeadline, inclusiveRangeError(0, maxInt32)));
      return errors;
    }
    if (typeof oldDeadline === "number" && oldDeadline < newDeadline) {
      errors.push(
        invalid(deadlinePath, newDeadline, "must be less than or equal to previous value"),
      );
      return errors;
    }
  } else if (typeof oldDeadline === "number") {
    errors.push(
      invalid(deadlinePath, null, "must not update from a positive integer to nil value"),
    );
  }
  errors.push(
    ...validateOnlyAddedTolerations(
      newSpec.tolerations,
      oldSpec.tolerations,
      specPath.child("tolerations"),
    ),
  );
  errors.push(
    ...validateOnlyDeletedSchedulingGates(
      newSpec.schedulingGates,
      oldSpec.schedulingGates,
      specPath.child("schedulingGates"),
    ),
  );
  if (semanticEqual(newSpec, oldSpec)) return errors;
  const munged = mungeUpdatableFields(newSpec, oldSpec, errors);
  if (!semanticEqual(munged, oldSpec)) {
    errors.push(
      forbidden(
        specPath,
        `pod updates may not change fields other than ${updatablePodSpecFields.join(",")}\n${describeDiff(oldSpec, munged, "spec")}`,
      ),
    );
  }
  return errors;
}

/** The new spec with every field a pod update may change set back to its old value. */
function mungeUpdatableFields(
  newSpec: JsonRecord,
  oldSpec: JsonRecord,
  errors: FieldError[],
): JsonRecord {
  const munged = cloneJson(newSpec);
  for (const list of ["containers", "initContainers"]) {
    const oldList = recordList(oldSpec[list]);
    recordList(munged[list]).forEach((container, i) => {
      container.image = oldList[i]?.image;
    });
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldGrace === "number" && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  // A pod still waiting on scheduling gates may be narrowed down further.
  if (
    recordList(oldSpec.schedulingGates).length > 0 &&
    !semanticEqual(munged.nodeSelector, oldSpec.nodeSelector)
  ) {
    const newSelector = stringMap(munged.nodeSelector);
    const kept = Object.entries(stringMap(oldSpec.nodeSelector)).every(
      ([key, value]) => newSelector[key] === value,
    );
    if (!kept) {
      errors.push(
        invalid(
          fieldPath("spec", "nodeSelector"),
          newSelector,
          "only additions to spec.nodeSelector are allowed (no mutations or deletions)",
        ),
      );
    }
    munged.nodeSelector = oldSpec.nodeSelector;
  }
  return munged;
}

function validateOnlyAddedTolerations(
  newTolerations: unknown,
  oldTolerations: unknown,
  path: FieldPath,
): FieldError[] {
  const added = recordList(newTolerations);
  for (const old of recordList(oldTolerations)) {
    // tolerationSeconds of an existing toleration may change (the eviction timer).
    const kept = added.some((toleration) =>
      semanticEqual({ ...old, tolerationSeconds: toleration.tolerationSeconds }, toleration),
    );
    if (!kept) {
      return [
        forbidden(path, "existing toleration can not be modified except its tolerationSeconds"),
      ];
    }
  }
  // Upstream validates the new tolerations here again; `validate` already does.
  return [];
}

function validateOnlyDeletedSchedulingGates(
  newGates: unknown,
  oldGates: unknown,
  path: FieldPath,
): FieldError[] {
  const oldNames = new Set(recordList(oldGates).map((gate) => stringOf(gate.name)));
  const errors: FieldError[] = [];
  recordList(newGates).forEach((gate, i) => {
    const name = stringOf(gate.name);
    if (!oldNames.has(name)) {
      errors.push(
        forbidden(
          path.index(i).child("name"),
          `only deletion is allowed, but found new scheduling gate '${name}'`,
        ),
      );
    }
  });
  return errors;
}
