/**
 * The version-neutral model of REST operations that api-paths.ts builds and
 * openapi-v2.ts / openapi-v3.ts render, with the vocabulary both builders of
 * paths share: media types, parameter sets and operation naming.
 */
import type { GroupVersionKind } from "../discovery/discovery-types.ts";
import type { ApiParameter } from "./query-parameters.ts";

export type HttpMethod = "get" | "put" | "post" | "delete" | "patch" | "head" | "options";

export type ApiAction =
  | "get"
  | "list"
  | "put"
  | "patch"
  | "post"
  | "delete"
  | "deletecollection"
  | "watch"
  | "watchlist"
  | "connect";

/** A response body: a schema reference ("core/v1.Pod") or plain text. */
export type ApiBody = { ref: string } | { type: "string" };

export interface ApiResponse {
  code: string;
  description: string;
  body?: ApiBody;
}

export interface ApiOperation {
  method: HttpMethod;
  operationId: string;
  description: string;
  /** Unset for discovery operations, as upstream. */
  action?: ApiAction;
  gvk?: GroupVersionKind;
  tag: string;
  parameters: readonly ApiParameter[];
  /** The request body's schema reference; `required` for writes, not for deletes. */
  body?: { ref: string; required: boolean };
  consumes: readonly string[];
  produces: readonly string[];
  responses: readonly ApiResponse[];
}

export interface ApiPath {
  path: string;
  /** Parameters shared by every operation of the path. */
  parameters: readonly ApiParameter[];
  operations: readonly ApiOperation[];
}

export const objectMedia = [
  "application/json",
  "application/yaml",
  "application/vnd.kubernetes.protobuf",
];
export const watchMedia = [
  ...objectMedia,
  "application/json;stream=watch",
  "application/vnd.kubernetes.protobuf;stream=watch",
];
export const textMedia = ["text/plain", ...objectMedia];
export const patchMedia = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml",
];
export const anyMedia = ["*/*"];
export const unauthorized: ApiResponse = { code: "401", description: "Unauthorized" };
export const statusRef = "meta/v1.Status";
export const watchEventRef = "meta/v1.WatchEvent";
export const deleteOptionsRef = "meta/v1.DeleteOptions";
export const patchRef = "meta/v1.Patch";

export const listParams = [
  "allowWatchBookmarks",
  "continue",
  "fieldSelector",
  "labelSelector",
  "limit",
  "resourceVersion",
  "resourceVersionMatch",
  "sendInitialEvents",
  "timeoutSeconds",
  "watch",
];
export const writeParams = ["dryRun", "fieldManager", "fieldValidation"];
export const patchParams = [...writeParams, "force"];
export const deleteParams = [
  "dryRun",
  "gracePeriodSeconds",
  "ignoreStoreReadErrorWithClusterBreakingPotential",
  "orphanDependents",
  "propagationPolicy",
];
export const connectParams: Record<string, string[]> = {
  exec: ["command", "container", "stderr", "stdin", "stdout", "tty"],
  attach: ["container", "stderr", "stdin", "stdout", "tty"],
  portforward: ["ports"],
};
export const logParams = [
  "container",
  "follow",
  "insecureSkipTLSVerifyBackend",
  "limitBytes",
  "previous",
  "sinceSeconds",
  "stream",
  "tailLines",
  "timestamps",
];

/** Success responses carrying `ref` (when the kind has such a type), then the 401 every operation lists. */
export function ok(ref: string | undefined, ...codes: string[]): ApiResponse[] {
  const descriptions: Record<string, string> = { "200": "OK", "201": "Created", "202": "Accepted" };
  return [
    ...codes.map((code) => ({
      code,
      description: descriptions[code] ?? "",
      ...(ref ? { body: { ref } } : {}),
    })),
    unauthorized,
  ];
}

export interface Naming {
  /** "CoreV1", "AppsV1", "RbacAuthorizationV1": the group-version part of operation ids. */
  gv: string;
  /** "core_v1", "rbacAuthorization_v1". */
  tag: string;
}

/** "rbac.authorization.k8s.io" → "RbacAuthorization", "" → "Core". */
export function groupName(group: string): string {
  if (!group) return "Core";
  return group
    .replace(/\.k8s\.io$/, "")
    .split(/[.-]/)
    .map(upperFirst)
    .join("");
}

export function namingOf(group: string, version: string): Naming {
  const name = groupName(group);
  return { gv: name + upperFirst(version), tag: `${lowerFirst(name)}_${version}` };
}

export function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** The schema references a path's request and response bodies use. */
export function referencedTypes(path: ApiPath): string[] {
  const refs: string[] = [];
  for (const operation of path.operations) {
    if (operation.body) refs.push(operation.body.ref);
    for (const response of operation.responses) {
      if (response.body && "ref" in response.body) refs.push(response.body.ref);
    }
  }
  return refs;
}
