/**
 * Small pieces the admission plugins share: which request a plugin handles, the denial
 * upstream's admission.NewForbidden builds, and upstream's way of joining several errors.
 */
import type { ResourceRef } from "../../auth/types.ts";
import type { KubeObject } from "../../resources/kind.ts";
import { forbidden, type StatusError } from "../errors/status-error.ts";
import type { AdmissionRequest } from "./admission.ts";

export const PODS: ResourceRef = { group: "", resource: "pods" };
export const NAMESPACES: ResourceRef = { group: "", resource: "namespaces" };

/** Whether the request writes `ref` itself (not one of its subresources). */
export function isMainResource(request: AdmissionRequest, ref: ResourceRef): boolean {
  return (
    request.kind.group === ref.group &&
    request.kind.resource === ref.resource &&
    request.subresource === ""
  );
}

/** The namespace a namespaced request writes into ("" for cluster-scoped kinds). */
export function requestNamespace(request: AdmissionRequest): string {
  if (!request.kind.namespaced) return "";
  return request.context.namespace || request.object.metadata?.namespace || "";
}

/**
 * The name a denial shows: the object's name, else its generateName (names are not
 * generated yet when admission runs), else "Unknown", as upstream's extractResourceName.
 */
export function nameForDenial(object: KubeObject | null): string {
  const meta = object?.metadata;
  return meta?.name || meta?.generateName || "Unknown";
}

/** 403 `<resource> "<name>" is forbidden: <message>` for the request's resource. */
export function denyRequest(request: AdmissionRequest, message: string): StatusError {
  return forbidden(
    {
      group: request.kind.group,
      resource: request.kind.resource,
      name: nameForDenial(request.object),
    },
    message,
  );
}

/**
 * Upstream's utilerrors.NewAggregate text: one message as is, several de-duplicated,
 * comma-joined and bracketed.
 */
export function aggregateMessages(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  if (unique.length === 1) return unique[0] as string;
  return `[${unique.join(", ")}]`;
}
