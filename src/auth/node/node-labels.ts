/**
 * Which Node labels a kubelet may set on itself. Labels in the kubernetes.io
 * and k8s.io namespaces steer workloads (and node-restriction.kubernetes.io
 * exists precisely so that nodes cannot claim it), so a node may only touch
 * the well-known ones it reports about itself.
 */

/** The labels kubelets set (upstream's kubeletapis.KubeletLabels). */
export const kubeletLabels: ReadonlySet<string> = new Set([
  "kubernetes.io/hostname",
  "topology.kubernetes.io/zone",
  "topology.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone",
  "failure-domain.beta.kubernetes.io/region",
  "beta.kubernetes.io/instance-type",
  "node.kubernetes.io/instance-type",
  "kubernetes.io/os",
  "kubernetes.io/arch",
  "beta.kubernetes.io/os",
  "beta.kubernetes.io/arch",
]);

/** Namespaces (and their subdomains) kubelets may use freely. */
export const kubeletLabelNamespaces: readonly string[] = [
  "kubelet.kubernetes.io",
  "node.kubernetes.io",
];

function labelNamespace(key: string): string {
  const slash = key.indexOf("/");
  return slash < 0 ? "" : key.slice(0, slash);
}

function inNamespace(key: string, namespace: string): boolean {
  const prefix = labelNamespace(key);
  return prefix === namespace || prefix.endsWith(`.${namespace}`);
}

export function isKubeletLabel(key: string): boolean {
  return kubeletLabels.has(key) || kubeletLabelNamespaces.some((ns) => inNamespace(key, ns));
}

function isKubernetesLabel(key: string): boolean {
  return inNamespace(key, "kubernetes.io") || inNamespace(key, "k8s.io");
}

/** Label keys added, removed or changed between two label maps. */
export function modifiedLabels(
  next: Readonly<Record<string, string>>,
  old: Readonly<Record<string, string>>,
): Set<string> {
  const modified = new Set<string>();
  for (const key of new Set([...Object.keys(next), ...Object.keys(old)])) {
    if (next[key] !== old[key] || Object.hasOwn(next, key) !== Object.hasOwn(old, key)) {
      modified.add(key);
    }
  }
  return modified;
}

/**
 * The keys among `modified` a node may not set, sorted (as upstream lists them).
 * node-restriction.kubernetes.io, the namespace administrators use to steer
 * sensitive workloads, is one of the kubernetes.io namespaces refused here.
 */
export function forbiddenNodeLabels(modified: Iterable<string>): string[] {
  return [...modified].filter((key) => isKubernetesLabel(key) && !isKubeletLabel(key)).sort();
}
