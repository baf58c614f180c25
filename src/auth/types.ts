import type { KubeObject } from "../resources/kind.ts";

/** An authenticated identity (authentication.k8s.io/v1 UserInfo). */
export interface UserInfo {
  /** The user name, e.g. "alice", "system:node:n1", "system:serviceaccount:ns:sa". */
  user: string;
  uid?: string;
  groups: readonly string[];
  extra?: Readonly<Record<string, readonly string[]>>;
}

/**
 * What a request asks to do (upstream's authorizer.Attributes): a resource
 * request names verb/apiGroup/resource/…, a non-resource request a path.
 */
export interface Attributes {
  user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection, or impersonate/bind/escalate/approve/…; for non-resource requests the lower-case HTTP verb (get, post, …). */
  verb: string;
  resourceRequest: boolean;
  /** Non-resource requests: the URL path ("/healthz"). */
  path: string;
  apiGroup: string;
  apiVersion: string;
  /** Plural resource ("pods"); "" for non-resource requests. */
  resource: string;
  /** "status", "log", …; "" for the main resource. */
  subresource: string;
  namespace: string;
  /** "" for collection requests. */
  name: string;
}

export type DecisionKind = "allow" | "deny" | "no-opinion";

export interface Decision {
  decision: DecisionKind;
  /** Why (for SubjectAccessReview status.reason and denial messages). */
  reason: string;
}

export interface Authorizer {
  authorize(attributes: Attributes): Decision;
}

/** A group and plural resource ("" for core). */
export interface ResourceRef {
  group: string;
  resource: string;
}

/**
 * Read access to the cluster's current objects, served from the API server's
 * watch caches (synchronous: they are in memory). Objects are shared: never
 * mutate them.
 */
export interface ObjectReader {
  get(ref: ResourceRef, namespace: string, name: string): KubeObject | undefined;
  /** Every object of a resource, or only those of one namespace. */
  list(ref: ResourceRef, namespace?: string): readonly KubeObject[];
}
