/**
 * apps/v1 StatefulSet: defaults as upstream's SetDefaults_StatefulSet, the status
 * strategy, and validation in stateful-set.validation.ts.
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { ensureRecord, recordOf } from "../core/json-value.ts";
import { defaultPodTemplateSpec } from "../core/pod-spec-defaults.ts";
import { validateStatefulSet, validateStatefulSetUpdate } from "./stateful-set.validation.ts";

export const statefulSetKind: KindDefinition = {
  group: "apps",
  version: "v1",
  kind: "StatefulSet",
  resource: "statefulsets",
  singular: "statefulset",
  namespaced: true,
  shortNames: ["sts"],
  categories: ["all"],
  schemaRef: "apps/v1.StatefulSet",
  hasStatus: true,
  scale: {
    specReplicasPath: ".spec.replicas",
    statusReplicasPath: ".status.replicas",
    labelSelectorPath: ".spec.selector",
  },
  subresources: ["status", "scale"],
  tracksGeneration: true,

  defaults: defaultStatefulSet,
  prepareForCreate(object) {
    object.status = {};
  },
  prepareForUpdate(object, old) {
    object.status = structuredClone(old.status ?? {});
  },
  validate: (object) => validateStatefulSet(object),
  validateUpdate: (object, old) => validateStatefulSetUpdate(object, old),
};

/**
 * Pods start one at a time in ordinal order and roll from the highest ordinal down; PVCs
 * created from volumeClaimTemplates are kept when the set is deleted or scaled down
 * (StatefulSetAutoDeletePVC is on by default, so the retention policy is filled in).
 */
export function defaultStatefulSet(object: KubeObject): void {
  const spec = ensureRecord(object, "spec");
  if (!spec.podManagementPolicy) spec.podManagementPolicy = "OrderedReady";
  const strategy = ensureRecord(spec, "updateStrategy");
  if (!strategy.type) {
    strategy.type = "RollingUpdate";
    ensureRecord(strategy, "rollingUpdate");
  }
  const rollingUpdate = recordOf(strategy.rollingUpdate);
  if (strategy.type === "RollingUpdate" && rollingUpdate !== undefined) {
    rollingUpdate.partition ??= 0;
  }
  const retention = ensureRecord(spec, "persistentVolumeClaimRetentionPolicy");
  if (!retention.whenDeleted) retention.whenDeleted = "Retain";
  if (!retention.whenScaled) retention.whenScaled = "Retain";
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplateSpec(spec.template);
}
