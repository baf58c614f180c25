/**
 * The discovery documents of a kind list, legacy and aggregated, built once
 * per list. Pure data: the HTTP layer picks one with `contentTypeFor` and
 * serialises it.
 *
 * Legacy discovery (meta/v1) answers /api, /api/v1, /apis, /apis/G and
 * /apis/G/V, one request per group version; aggregated discovery
 * (apidiscovery.k8s.io/v2, and v2beta1 for kubectl up to 1.29) answers /api
 * and /apis with every resource at once, which is what kubectl asks for first.
 * Both are generated from the same walk so they can never disagree.
 */
import type { KindDefinition } from "../../resources/kind.ts";
import { allVerbs } from "../../resources/kind.ts";
import type {
  AggregatedDiscoveryVersion,
  APIGroup,
  APIGroupDiscovery,
  APIGroupDiscoveryList,
  APIGroupList,
  APIResource,
  APIResourceDiscovery,
  APIResourceList,
  APIVersions,
  GroupVersionForDiscovery,
} from "./discovery-types.ts";
import { compareStrings, type ServedGroup, servedGroups } from "./group-versions.ts";
import { sha256 } from "./sha256.ts";
import { subresourcesOf } from "./subresources.ts";

export interface DiscoveryDocuments {
  /** GET /api (legacy). `serverAddressByClientCIDRs` is left empty for the HTTP layer to fill. */
  versions: APIVersions;
  /** GET /api/v1 (legacy). */
  coreResources: APIResourceList;
  /** GET /apis (legacy). */
  groups: APIGroupList;
  /** GET /apis/<group> (legacy); undefined when the group is not served. */
  group(name: string): APIGroup | undefined;
  /** GET /apis/<group>/<version>, or /api/<version> with group ""; undefined when not served. */
  groupVersion(group: string, version: string): APIResourceList | undefined;
  /** GET /api, aggregated (apidiscovery.k8s.io/v2). */
  aggregatedCore: APIGroupDiscoveryList;
  /** GET /apis, aggregated (apidiscovery.k8s.io/v2). */
  aggregatedGroups: APIGroupDiscoveryList;
  /** The aggregated document of /api or /apis in the version `contentTypeFor` chose. */
  aggregated(root: "api" | "apis", version: AggregatedDiscoveryVersion): APIGroupDiscoveryList;
}

const cache = new WeakMap<readonly KindDefinition[], DiscoveryDocuments>();

/**
 * The discovery documents for `kinds`, computed on first use and cached for
 * this exact array: pass the registry's one list, not a fresh copy per request.
 * The documents are shared; callers must not mutate them.
 */
export function buildDiscovery(kinds: readonly KindDefinition[]): DiscoveryDocuments {
  const cached = cache.get(kinds);
  if (cached) return cached;

  const served = servedGroups(kinds);
  const core = served.find((g) => g.group === "");
  const named = served.filter((g) => g.group !== "");

  const resourceLists = new Map<string, APIResourceList>();
  for (const g of served) {
    for (const v of g.versions) {
      resourceLists.set(groupVersionKey(g.group, v.version), {
        kind: "APIResourceList",
        apiVersion: "v1",
        groupVersion: g.group ? `${g.group}/${v.version}` : v.version,
        resources: v.kinds.flatMap(legacyResources).sort((a, b) => compareStrings(a.name, b.name)),
      });
    }
  }

  const groupEntries = new Map(named.map((g) => [g.group, apiGroupEntry(g)]));
  const aggregatedV2 = {
    api: aggregatedList(core ? [core] : [], "v2"),
    apis: aggregatedList(named, "v2"),
  };
  const aggregatedV2beta1 = new Map<"api" | "apis", APIGroupDiscoveryList>();

  const documents: DiscoveryDocuments = {
    versions: {
      kind: "APIVersions",
      versions: core ? core.versions.map((v) => v.version) : [],
      serverAddressByClientCIDRs: [],
    },
    coreResources: resourceLists.get(groupVersionKey("", "v1")) ?? {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: "v1",
      resources: [],
    },
    groups: { kind: "APIGroupList", apiVersion: "v1", groups: [...groupEntries.values()] },
    group(name) {
      const entry = groupEntries.get(name);
      return entry && { kind: "APIGroup", apiVersion: "v1", ...entry };
    },
    groupVersion: (group, version) => resourceLists.get(groupVersionKey(group, version)),
    aggregatedCore: aggregatedV2.api,
    aggregatedGroups: aggregatedV2.apis,
    aggregated(root, version) {
      if (version === "v2") return aggregatedV2[root];
      let list = aggregatedV2beta1.get(root);
      if (!list) {
        // v2beta1 has the same shape as v2; only the apiVersion differs.
        list = { ...aggregatedV2[root], apiVersion: "apidiscovery.k8s.io/v2beta1" };
        aggregatedV2beta1.set(root, list);
      }
      return list;
    },
  };
  cache.set(kinds, documents);
  return documents;
}

function groupVersionKey(group: string, version: string): string {
  return `${group}/${version}`;
}

function verbsOf(kind: KindDefinition): string[] {
  return [...(kind.verbs ?? allVerbs)].sort(compareStrings);
}

/** The resource and one entry per subresource, as /api/v1 and /apis/G/V list them. */
function legacyResources(kind: KindDefinition): APIResource[] {
  const verbs = verbsOf(kind);
  const resource: APIResource = {
    name: kind.resource,
    singularName: kind.singular,
    namespaced: kind.namespaced,
    kind: kind.kind,
    verbs,
  };
  if (kind.shortNames?.length) resource.shortNames = [...kind.shortNames];
  if (kind.categories?.length) resource.categories = [...kind.categories];
  // Only stored resources have a storage version; create-only ones (bindings) do not.
  if (verbs.includes("get")) {
    resource.storageVersionHash = storageVersionHash(kind.group, kind.version, kind.kind);
  }
  const entries = [resource];
  for (const sub of subresourcesOf(kind)) {
    const isForeign = sub.group !== kind.group || sub.version !== kind.version;
    entries.push({
      name: `${kind.resource}/${sub.name}`,
      singularName: "",
      namespaced: kind.namespaced,
      ...(isForeign ? { group: sub.group, version: sub.version } : {}),
      kind: sub.kind,
      verbs: [...sub.verbs],
    });
  }
  return entries;
}

/**
 * Upstream's storage version hash: base64 of the first 8 bytes of the
 * SHA-256 of "group/version/kind". Clients compare it only for equality
 * (the storage version migrator), so matching upstream keeps it meaningful.
 */
function storageVersionHash(group: string, version: string, kind: string): string {
  const digest = sha256(`${group}/${version}/${kind}`).subarray(0, 8);
  return btoa(String.fromCharCode(...digest));
}

function apiGroupEntry(g: ServedGroup): Omit<APIGroup, "kind" | "apiVersion"> {
  const versions: GroupVersionForDiscovery[] = g.versions.map((v) => ({
    groupVersion: `${g.group}/${v.version}`,
    version: v.version,
  }));
  return { name: g.group, versions, preferredVersion: versions[0] as GroupVersionForDiscovery };
}

function aggregatedList(
  groups: readonly ServedGroup[],
  version: AggregatedDiscoveryVersion,
): APIGroupDiscoveryList {
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map(
      (g): APIGroupDiscovery => ({
        metadata: g.group
          ? { name: g.group, creationTimestamp: null }
          : { creationTimestamp: null },
        versions: g.versions.map((v) => ({
          version: v.version,
          resources: v.kinds.map(aggregatedResource),
          freshness: "Current",
        })),
      }),
    ),
  };
}

function aggregatedResource(kind: KindDefinition): APIResourceDiscovery {
  const resource: APIResourceDiscovery = {
    resource: kind.resource,
    responseKind: { group: kind.group, version: kind.version, kind: kind.kind },
    scope: kind.namespaced ? "Namespaced" : "Cluster",
    singularResource: kind.singular,
    verbs: verbsOf(kind),
  };
  if (kind.shortNames?.length) resource.shortNames = [...kind.shortNames];
  if (kind.categories?.length) resource.categories = [...kind.categories];
  const subresources = subresourcesOf(kind);
  if (subresources.length) {
    resource.subresources = subresources.map((sub) => ({
      subresource: sub.name,
      responseKind: { group: sub.group, version: sub.version, kind: sub.kind },
      verbs: [...sub.verbs],
    }));
  }
  return resource;
}
