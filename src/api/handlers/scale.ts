import type { KindDefinition, KubeObject } from "../../resources/kind.ts";
import { LabelSelector, type MetaV1LabelSelector } from "../../resources/labels/label-selector.ts";
import { badRequest } from "../errors/status-error.ts";
import { applyJsonPatch } from "../patch/json-patch.ts";
import type { JsonObject, JsonValue } from "../patch/json-value.ts";
import { applyMergePatch, mergePatchDocument } from "../patch/merge-patch.ts";
import { patchTypes } from "./apply-patch.ts";
import { parseJson } from "./request-body.ts";

function at(object: KubeObject, path: string): unknown {
  let value: unknown = object;
  for (const part of path.split(".").filter(Boolean)) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function setAt(object: KubeObject, path: string, next: unknown): void {
  const parts = path.split(".").filter(Boolean);
  let target = object as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) {
    target[part] ??= {};
    target = target[part] as Record<string, unknown>;
  }
  target[parts[parts.length - 1] as string] = next;
}

function selectorString(selector: unknown): string {
  if (!selector || typeof selector !== "object") return "";
  const value = selector as Record<string, unknown>;
  // apps kinds have a LabelSelector; ReplicationController a plain map.
  if ("matchLabels" in value || "matchExpressions" in value) {
    return LabelSelector.fromObject(value as MetaV1LabelSelector).toString();
  }
  return LabelSelector.fromSet(value as Record<string, string>).toString();
}

/** The autoscaling/v1 Scale of a scalable object. */
export function getScale(kind: KindDefinition, object: KubeObject): KubeObject {
  const scale = kind.scale;
  if (!scale) throw badRequest(`${kind.resource} has no scale subresource`);
  const meta = object.metadata ?? {};
  const status: Record<string, unknown> = {
    replicas: Number(at(object, scale.statusReplicasPath) ?? 0),
  };
  if (scale.labelSelectorPath)
    status.selector = selectorString(at(object, scale.labelSelectorPath));
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    spec: { replicas: Number(at(object, scale.specReplicasPath) ?? 0) },
    status,
  };
}

/** Applies a Scale write (PUT body, or a patch of the Scale) to the object. */
export function scaleUpdate(
  kind: KindDefinition,
  current: KubeObject,
  patchType: string,
  body: string,
): KubeObject {
  const scale = getScale(kind, current);
  let next: KubeObject;
  const document = parseJson(body);
  if (patchType === "") next = document as KubeObject;
  else if (patchType === patchTypes.json)
    next = applyJsonPatch(scale as JsonValue, document) as KubeObject;
  else next = applyMergePatch(scale as JsonValue, mergePatchDocument(document)) as KubeObject;
  const replicas = (next.spec as JsonObject | undefined)?.replicas;
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
    throw badRequest(
      `Scale.autoscaling "${current.metadata?.name ?? ""}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
    );
  }
  const wanted = next.metadata?.resourceVersion;
  setAt(current, kind.scale?.specReplicasPath ?? ".spec.replicas", replicas);
  if (wanted && patchType === "")
    current.metadata = { ...current.metadata, resourceVersion: wanted };
  return current;
}
