import type { KindDefinition, KubeObject } from "../../resources/kind.ts";
import { badRequest, StatusError, unsupportedMediaType } from "../errors/status-error.ts";
import { applyJsonPatch } from "../patch/json-patch.ts";
import type { JsonObject, JsonValue } from "../patch/json-value.ts";
import { applyMergePatch, mergePatchDocument } from "../patch/merge-patch.ts";
import { PatchError } from "../patch/patch-error.ts";
import { strategicMergePatch } from "../patch/strategic-merge-patch.ts";
import { timestamp } from "../registry/object-codec.ts";
import { parseJson, parseYamlBody } from "./request-body.ts";

export const patchTypes = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

export type PatchType = (typeof patchTypes)[keyof typeof patchTypes];

export function patchTypeOf(mediaType: string): PatchType {
  const known = Object.values(patchTypes) as string[];
  if (!known.includes(mediaType)) {
    throw unsupportedMediaType(
      `the body of the request was in an unknown format - accepted media types include: ${known.join(", ")}`,
    );
  }
  return mediaType as PatchType;
}

/** Parses a patch document of `type` (apply patches are YAML or JSON). */
export function parsePatch(type: PatchType, text: string): unknown {
  return type === patchTypes.apply ? parseYamlBody(text) : parseJson(text);
}

/**
 * Applies a patch to the current object. Server-side apply is approximated: the
 * applied configuration is merged like a strategic merge patch and the manager
 * is recorded in managedFields; field ownership conflicts are not detected.
 */
export function applyPatch(
  kind: KindDefinition,
  current: KubeObject,
  type: PatchType,
  patch: unknown,
  fieldManager: string | undefined,
): KubeObject {
  try {
    switch (type) {
      case patchTypes.json:
        return applyJsonPatch(current as JsonValue, patch) as KubeObject;
      case patchTypes.merge:
        return applyMergePatch(current as JsonValue, mergePatchDocument(patch)) as KubeObject;
      case patchTypes.strategic:
        return strategicMergePatch(current as JsonObject, patch, kind.schemaRef) as KubeObject;
      case patchTypes.apply: {
        const merged = strategicMergePatch(
          current as JsonObject,
          patch,
          kind.schemaRef,
        ) as KubeObject;
        recordManager(merged, fieldManager, "Apply", patch);
        return merged;
      }
    }
  } catch (error) {
    if (error instanceof PatchError) {
      if (error.code === 400) throw badRequest(error.message);
      throw new StatusError({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: error.message,
        reason: error.reason,
        code: error.code,
      });
    }
    throw error;
  }
}

/** The object an apply creates when none exists yet. */
export function appliedObject(patch: unknown, fieldManager: string | undefined): KubeObject {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) {
    throw badRequest("error decoding YAML: the applied configuration is not an object");
  }
  const object = structuredClone(patch) as KubeObject;
  recordManager(object, fieldManager, "Apply", patch);
  return object;
}

function recordManager(
  object: KubeObject,
  manager: string | undefined,
  operation: string,
  applied: unknown,
): void {
  if (!manager) throw badRequest("PATCH requests with apply content type must supply fieldManager");
  const metadata = object.metadata ?? {};
  object.metadata = metadata;
  const entries = ((metadata.managedFields as Record<string, unknown>[] | undefined) ?? []).filter(
    (entry) => !(entry.manager === manager && entry.operation === operation),
  );
  entries.push({
    manager,
    operation,
    apiVersion: object.apiVersion,
    time: timestamp(),
    fieldsType: "FieldsV1",
    fieldsV1: fieldSet(applied),
  });
  metadata.managedFields = entries;
}

/** The FieldsV1 set of the fields an applied configuration names ("f:<name>" keys). */
function fieldSet(value: unknown): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) return set;
  for (const [name, child] of Object.entries(value)) {
    if (name === "apiVersion" || name === "kind") continue;
    if (name === "metadata" && child && typeof child === "object") {
      const meta = child as Record<string, unknown>;
      const inner: Record<string, unknown> = {};
      for (const key of ["labels", "annotations"]) {
        if (meta[key] && typeof meta[key] === "object") inner[`f:${key}`] = fieldSet(meta[key]);
      }
      set["f:metadata"] = inner;
      continue;
    }
    set[`f:${name}`] =
      child !== null && typeof child === "object" && !Array.isArray(child) ? fieldSet(child) : {};
  }
  return set;
}
