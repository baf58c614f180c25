import { forbidden, StatusError } from "../api/errors/status-error.ts";
import type { Attributes, UserInfo } from "./types.ts";

/** The resource part of a request URL, as the API resolved it. */
export interface ResourceTarget {
  group: string;
  version: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

/** Attributes plus what the Node authorizer reads from the query. */
export type RequestAttributes = Attributes & { fieldSelector?: string };

/**
 * What a request asks to do (upstream's RequestInfo → authorizer attributes):
 * GET of a name is get, of a collection list (watch with ?watch), POST create,
 * PUT update, PATCH patch, DELETE of a name delete, of a collection
 * deletecollection. Anything that is not a resource is a path with the HTTP
 * verb in lower case.
 */
export function requestAttributes(
  user: UserInfo,
  method: string,
  pathname: string,
  query: URLSearchParams,
  target: ResourceTarget | null,
): RequestAttributes {
  const httpVerb = method.toLowerCase();
  if (!target) {
    return {
      user,
      verb: httpVerb === "head" ? "get" : httpVerb,
      resourceRequest: false,
      path: pathname,
      apiGroup: "",
      apiVersion: "",
      resource: "",
      subresource: "",
      namespace: "",
      name: "",
    };
  }
  const attributes: RequestAttributes = {
    user,
    verb: resourceVerb(httpVerb, target, query),
    resourceRequest: true,
    path: pathname,
    apiGroup: target.group,
    apiVersion: target.version,
    resource: target.resource,
    subresource: target.subresource,
    namespace: target.namespace,
    name: target.name,
  };
  const fieldSelector = query.get("fieldSelector");
  if (fieldSelector) attributes.fieldSelector = fieldSelector;
  return attributes;
}

function resourceVerb(httpVerb: string, target: ResourceTarget, query: URLSearchParams): string {
  const collection = target.name === "";
  switch (httpVerb) {
    case "get":
    case "head":
      if (collection) {
        const watch = query.get("watch");
        return watch === "true" || watch === "1" ? "watch" : "list";
      }
      return "get";
    case "post":
      return "create";
    case "put":
      return "update";
    case "patch":
      return "patch";
    case "delete":
      return collection ? "deletecollection" : "delete";
    default:
      return httpVerb;
  }
}

/**
 * The 403 upstream answers a denied request with, e.g.
 * `pods "p" is forbidden: User "bob" cannot get resource "pods" in API group "" in the namespace "default"`.
 */
export function forbiddenError(attributes: Attributes, reason: string): StatusError {
  const who = `User "${attributes.user.user}"`;
  const why = reason ? `: ${reason}` : "";
  if (!attributes.resourceRequest) {
    return new StatusError({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `forbidden: ${who} cannot ${attributes.verb} path "${attributes.path}"${why}`,
      reason: "Forbidden",
      details: {},
      code: 403,
    });
  }
  const resource = attributes.subresource
    ? `${attributes.resource}/${attributes.subresource}`
    : attributes.resource;
  const scope = attributes.namespace
    ? `in the namespace "${attributes.namespace}"`
    : "at the cluster scope";
  return forbidden(
    {
      group: attributes.apiGroup,
      resource: attributes.resource,
      ...(attributes.name ? { name: attributes.name } : {}),
    },
    `${who} cannot ${attributes.verb} resource "${resource}" in API group "${attributes.apiGroup}" ${scope}${why}`,
  );
}
