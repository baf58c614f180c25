/**
 * apps/v1 Deployment: defaults as upstream's SetDefaults_Deployment, the status strategy
 * (the main endpoint never writes status), and validation in deployment.validation.ts.
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { ensureRecord } from "../core/json-value.ts";
import { defaultPodTemplateSpec } from "../core/pod-spec-defaults.ts";
import { validateDeployment, validateDeploymentUpdate } from "./deployment.validation.ts";

export const deploymentKind: KindDefinition = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  resource: "deployments",
  singular: "deployment",
  namespaced: true,
  shortNames: ["deploy"],
  categories: ["all"],
  schemaRef: "apps/v1.Deployment",
  hasStatus: true,
  scale: {
    specReplicasPath: ".spec.replicas",
    statusReplicasPath: ".status.replicas",
    labelSelectorPath: ".spec.selector",
  },
  subresources: ["status", "scale"],
  tracksGeneration: true,

  defaults: defaultDeployment,
  prepareForCreate(object) {
    object.status = {};
  },
  prepareForUpdate(object, old) {
    object.status = structuredClone(old.status ?? {});
  },
  validate: (object) => validateDeployment(object),
  validateUpdate: (object, old) => validateDeploymentUpdate(object, old),
};

/**
 * A rolling update that keeps 75% of the pods available and surges by 25% is upstream's
 * compromise between rollout speed and capacity; 10 old ReplicaSets are kept for
 * `kubectl rollout undo`, and a rollout is declared stuck after 10 minutes.
 */
export function defaultDeployment(object: KubeObject): void {
  const spec = ensureRecord(object, "spec");
  spec.replicas ??= 1;
  const strategy = ensureRecord(spec, "strategy");
  if (!strategy.type) strategy.type = "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const rollingUpdate = ensureRecord(strategy, "rollingUpdate");
    rollingUpdate.maxUnavailable ??= "25%";
    rollingUpdate.maxSurge ??= "25%";
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultPodTemplateSpec(spec.template);
}
