/**
 * The API groups and versions a kind list serves, in the order upstream's
 * discovery lists them. Order is behaviour, not cosmetics: kubectl resolves a
 * resource name served by several groups (`events` in core and in
 * events.k8s.io) to the first one discovery lists, and takes each group's
 * first version as the preferred one.
 */
import type { KindDefinition } from "../../resources/kind.ts";

export interface ServedVersion {
  version: string;
  /** Sorted by resource name. */
  kinds: readonly KindDefinition[];
}

export interface ServedGroup {
  /** "" for the core group (/api). */
  group: string;
  /** Preferred version first. */
  versions: readonly ServedVersion[];
}

/**
 * kube-apiserver's group priorities (highest first), as /apis lists them;
 * groups it does not know follow in alphabetical order.
 */
const groupOrder = [
  "apiregistration.k8s.io",
  "apps",
  "events.k8s.io",
  "authentication.k8s.io",
  "authorization.k8s.io",
  "autoscaling",
  "batch",
  "certificates.k8s.io",
  "networking.k8s.io",
  "policy",
  "rbac.authorization.k8s.io",
  "storage.k8s.io",
  "admissionregistration.k8s.io",
  "apiextensions.k8s.io",
  "scheduling.k8s.io",
  "coordination.k8s.io",
  "node.k8s.io",
  "discovery.k8s.io",
  "flowcontrol.apiserver.k8s.io",
  "resource.k8s.io",
];

/** Core first, then the named groups in upstream's order. */
export function servedGroups(kinds: readonly KindDefinition[]): ServedGroup[] {
  const byGroup = new Map<string, Map<string, KindDefinition[]>>();
  for (const kind of kinds) {
    let versions = byGroup.get(kind.group);
    if (!versions) {
      versions = new Map();
      byGroup.set(kind.group, versions);
    }
    const list = versions.get(kind.version);
    if (list) list.push(kind);
    else versions.set(kind.version, [kind]);
  }
  return [...byGroup.keys()].sort(compareGroups).map((group) => ({
    group,
    versions: [...(byGroup.get(group) as Map<string, KindDefinition[]>)]
      .sort(([a], [b]) => compareVersions(a, b))
      .map(([version, list]) => ({
        version,
        kinds: [...list].sort((a, b) => compareStrings(a.resource, b.resource)),
      })),
  }));
}

function compareGroups(a: string, b: string): number {
  if (a === "" || b === "") return a === b ? 0 : a === "" ? -1 : 1;
  const rankA = groupOrder.indexOf(a);
  const rankB = groupOrder.indexOf(b);
  if (rankA >= 0 && rankB >= 0) return rankA - rankB;
  if (rankA >= 0 || rankB >= 0) return rankA >= 0 ? -1 : 1;
  return compareStrings(a, b);
}

const kubeVersion = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/**
 * Kubernetes version priority: GA before beta before alpha, higher numbers
 * first within each (v2 > v1 > v1beta2 > v1beta1 > v1alpha1); versions that
 * do not look like Kubernetes versions go last, alphabetically.
 */
export function compareVersions(a: string, b: string): number {
  const ma = kubeVersion.exec(a);
  const mb = kubeVersion.exec(b);
  if (!ma || !mb) return ma ? -1 : mb ? 1 : compareStrings(a, b);
  const stability = (m: RegExpExecArray) => (m[2] === undefined ? 2 : m[2] === "beta" ? 1 : 0);
  return (
    stability(mb) - stability(ma) ||
    Number(mb[1]) - Number(ma[1]) ||
    Number(mb[3] ?? 0) - Number(ma[3] ?? 0)
  );
}

/** Code-point order, like Go's sort.Strings (localeCompare would depend on the locale). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
