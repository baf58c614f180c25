/**
 * `--controllers` as kube-controller-manager reads it: a comma-separated list
 * where `*` enables every controller, `name` enables one and `-name` disables
 * one (`*,-persistentvolume-binder`). Names are upstream's, plus kubun's own.
 */
export const CONTROLLER_NAMES = [
  "bootstrapsigner",
  "clusterrole-aggregation",
  "cronjob",
  "csrapproving",
  "csrsigning",
  "daemonset",
  "deployment",
  "disruption",
  "endpoint",
  "endpointslice",
  "garbagecollector",
  "job",
  "local-path-provisioner",
  "namespace",
  "node-lifecycle-controller",
  "persistentvolume-binder",
  "podgc",
  "replicaset",
  "replicationcontroller",
  "resourcequota",
  "root-ca-cert-publisher",
  "serviceaccount",
  "serviceaccount-token",
  "statefulset",
  "taint-eviction-controller",
  "tokencleaner",
  "ttl-after-finished",
] as const;

/** Parses the list; throws on a name that is not a controller, naming the known ones. */
export function controllerSelection(spec: string): (name: string) => boolean {
  const entries = spec
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const known = new Set<string>(CONTROLLER_NAMES);
  for (const entry of entries) {
    const name = entry.startsWith("-") ? entry.slice(1) : entry;
    if (entry !== "*" && !known.has(name)) {
      throw new Error(
        `--controllers: "${name}" is not a controller; known: ${CONTROLLER_NAMES.join(", ")}`,
      );
    }
  }
  const all = entries.includes("*");
  const on = new Set(entries.filter((e) => e !== "*" && !e.startsWith("-")));
  const off = new Set(entries.filter((e) => e.startsWith("-")).map((e) => e.slice(1)));
  return (name) => (off.has(name) ? false : on.has(name) || all);
}
