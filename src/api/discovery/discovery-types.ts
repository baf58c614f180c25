/**
 * The JSON shapes of the discovery documents: meta/v1 (APIVersions,
 * APIGroupList, APIGroup, APIResourceList) for legacy discovery and
 * apidiscovery.k8s.io/v2 (APIGroupDiscoveryList) for aggregated discovery.
 * Optional members are the ones upstream marks omitempty.
 */

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface APIResource {
  /** Plural resource, or `resource/subresource`. */
  name: string;
  /** Empty for subresources, as upstream serves them. */
  singularName: string;
  namespaced: boolean;
  /** Set only when the response kind lives in another group (`deployments/scale`). */
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

export interface APIResourceList {
  kind: "APIResourceList";
  apiVersion: "v1";
  groupVersion: string;
  resources: APIResource[];
}

export interface ServerAddressByClientCIDR {
  clientCIDR: string;
  serverAddress: string;
}

export interface APIVersions {
  kind: "APIVersions";
  versions: string[];
  serverAddressByClientCIDRs: ServerAddressByClientCIDR[];
}

export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

export interface APIGroup {
  kind: "APIGroup";
  apiVersion: "v1";
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export interface APIGroupList {
  kind: "APIGroupList";
  apiVersion: "v1";
  /** Each entry as in APIGroup, without kind and apiVersion. */
  groups: Omit<APIGroup, "kind" | "apiVersion">[];
}

export type AggregatedDiscoveryVersion = "v2" | "v2beta1";

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind: GroupVersionKind;
  verbs: string[];
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKind;
  scope: "Namespaced" | "Cluster";
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export interface APIVersionDiscovery {
  version: string;
  resources: APIResourceDiscovery[];
  /** "Stale" only for aggregated API servers that stopped answering; kubun has none. */
  freshness: "Current" | "Stale";
}

export interface APIGroupDiscovery {
  /** Go serialises the zero creationTimestamp as null; the core group has no name. */
  metadata: { name?: string; creationTimestamp: null };
  versions: APIVersionDiscovery[];
}

export interface APIGroupDiscoveryList {
  kind: "APIGroupDiscoveryList";
  apiVersion: `apidiscovery.k8s.io/${AggregatedDiscoveryVersion}`;
  metadata: Record<string, never>;
  items: APIGroupDiscovery[];
}
