import { badRequest } from "../api/errors/status-error.ts";
import { forbiddenError } from "./request-attributes.ts";
import type { Attributes, Authorizer, UserInfo } from "./types.ts";

const serviceAccountPrefix = "system:serviceaccount:";

/**
 * Applies `Impersonate-User`, `-Group`, `-Uid` and `-Extra-*` headers
 * (`kubectl --as`, `--as-group`): each value must be allowed by the verb
 * `impersonate` on users, serviceaccounts, groups, uids or userextras. Returns
 * the requester unchanged when no header is present.
 */
export function impersonate(
  headers: Headers,
  requester: UserInfo,
  authorizer: Authorizer,
): UserInfo {
  const user = headers.get("impersonate-user");
  const groups = headerValues(headers, "impersonate-group");
  const uid = headers.get("impersonate-uid");
  const extra: Record<string, string[]> = {};
  for (const [name, value] of headers) {
    if (!name.startsWith("impersonate-extra-")) continue;
    const key = decodeURIComponent(name.slice("impersonate-extra-".length));
    extra[key] = value.split(",").map((v) => v.trim());
  }
  if (user === null) {
    if (groups.length > 0 || uid !== null || Object.keys(extra).length > 0) {
      throw badRequest(
        "requested impersonation of groups, uid or extra without impersonating a user",
      );
    }
    return requester;
  }
  const check = (attributes: Omit<Attributes, "user" | "verb" | "resourceRequest" | "path">) => {
    const full: Attributes = {
      ...attributes,
      user: requester,
      verb: "impersonate",
      resourceRequest: true,
      path: "",
    };
    const decision = authorizer.authorize(full);
    if (decision.decision !== "allow") throw forbiddenError(full, decision.reason);
  };
  const resource = (apiGroup: string, resource: string, name: string, namespace = "") =>
    check({ apiGroup, apiVersion: "", resource, subresource: "", namespace, name });

  const identity: UserInfo & { groups: string[] } = { user, groups: [] };
  if (user.startsWith(serviceAccountPrefix)) {
    const [namespace = "", name = ""] = user.slice(serviceAccountPrefix.length).split(":");
    resource("", "serviceaccounts", name, namespace);
    identity.groups.push("system:serviceaccounts", `system:serviceaccounts:${namespace}`);
  } else {
    resource("", "users", user);
  }
  for (const group of groups) {
    resource("", "groups", group);
    identity.groups.push(group);
  }
  if (uid !== null) {
    resource("authentication.k8s.io", "uids", uid);
    identity.uid = uid;
  }
  for (const [key, values] of Object.entries(extra)) {
    for (const value of values) {
      check({
        apiGroup: "authentication.k8s.io",
        apiVersion: "",
        resource: "userextras",
        subresource: key,
        namespace: "",
        name: value,
      });
    }
  }
  if (Object.keys(extra).length > 0) identity.extra = extra;
  // As upstream: everyone but the anonymous user is also system:authenticated.
  if (user !== "system:anonymous" && !identity.groups.includes("system:authenticated")) {
    identity.groups.push("system:authenticated");
  }
  return identity;
}

function headerValues(headers: Headers, name: string): string[] {
  const value = headers.get(name);
  if (value === null) return [];
  return value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}
