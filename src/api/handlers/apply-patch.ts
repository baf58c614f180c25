import type { KindDefinition, KubeObject } from "../../resources/kind.ts";
import { applyConfiguration } from "../apply/managed-fields.ts";
import { badRequest, StatusError, unsupportedMediaType } from "../errors/status-error.ts";
import { applyJsonPatch } from "../patch/json-patch.ts";
import type { JsonObject, JsonValue } from "../patch/json-value.ts";
import { applyMergePatch, mergePatchDocument } from "../patch/merge-patch.ts";
import { PatchError } from "../patch/patch-error.ts";
import { strategicMergePatch } from "../patch/strategic-merge-patch.ts";
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

/** Who patches, for server-side apply's field ownership. */
export interface PatchOwner {
  fieldManager: string | undefined;
  /** `force=true`: an apply takes over fields other managers own instead of failing. */
  force: boolean;
  subresource: string;
}

/**
 * Applies a patch to the current object. Server-side apply merges the applied
 * configuration and tracks field ownership (src/api/apply/managed-fields.ts);
 * the other patch types are Update-type writes whose ownership the registry
 * records.
 */
export function applyPatch(
  kind: KindDefinition,
  current: KubeObject,
  type: PatchType,
  patch: unknown,
  owner: PatchOwner,
): KubeObject {
  try {
    switch (type) {
      case patchTypes.json:
        return applyJsonPatch(current as JsonValue, patch) as KubeObject;
      case patchTypes.merge:
        return applyMergePatch(current as JsonValue, mergePatchDocument(patch)) as KubeObject;
      case patchTypes.strategic:
        return strategicMergePatch(current as JsonObject, patch, kind.schemaRef) as KubeObject;
      case patchTypes.apply:
        return applyConfiguration({
          kind,
          live: current,
          applied: patch,
          manager: owner.fieldManager,
          force: owner.force,
          subresource: owner.subresource,
        });
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
export function appliedObject(kind: KindDefinition, patch: unknown, owner: PatchOwner): KubeObject {
  return applyConfiguration({
    kind,
    live: null,
    applied: patch,
    manager: owner.fieldManager,
    force: owner.force,
  });
}
