import { describe, expect, test } from "bun:test";
import { groupKinds } from "../../../../src/resources/kinds/groups.ts";
import { typeSchema } from "../../../../src/resources/schema/schema.ts";

/** Discovery facts as upstream serves them (`kubectl api-resources`). */
const expected: [string, string, string, boolean, string[], string[]][] = [
  ["apps/v1", "Deployment", "deployments", true, ["deploy"], ["all"]],
  ["apps/v1", "ReplicaSet", "replicasets", true, ["rs"], ["all"]],
  ["apps/v1", "DaemonSet", "daemonsets", true, ["ds"], ["all"]],
  ["apps/v1", "StatefulSet", "statefulsets", true, ["sts"], ["all"]],
  ["apps/v1", "ControllerRevision", "controllerrevisions", true, [], []],
  ["batch/v1", "Job", "jobs", true, [], ["all"]],
  ["batch/v1", "CronJob", "cronjobs", true, ["cj"], ["all"]],
  ["coordination.k8s.io/v1", "Lease", "leases", true, [], []],
  ["discovery.k8s.io/v1", "EndpointSlice", "endpointslices", true, [], []],
  ["events.k8s.io/v1", "Event", "events", true, ["ev"], []],
  ["networking.k8s.io/v1", "Ingress", "ingresses", true, ["ing"], []],
  ["networking.k8s.io/v1", "IngressClass", "ingressclasses", false, [], []],
  ["networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", true, ["netpol"], []],
  ["rbac.authorization.k8s.io/v1", "Role", "roles", true, [], []],
  ["rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", false, [], []],
  ["rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", true, [], []],
  ["rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", false, [], []],
  [
    "certificates.k8s.io/v1",
    "CertificateSigningRequest",
    "certificatesigningrequests",
    false,
    ["csr"],
    [],
  ],
  ["scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", false, ["pc"], []],
  ["policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", true, ["pdb"], []],
  ["storage.k8s.io/v1", "StorageClass", "storageclasses", false, ["sc"], []],
  ["autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, ["hpa"], ["all"]],
  ["authentication.k8s.io/v1", "TokenReview", "tokenreviews", false, [], []],
  ["authentication.k8s.io/v1", "SelfSubjectReview", "selfsubjectreviews", false, [], []],
  ["authorization.k8s.io/v1", "SubjectAccessReview", "subjectaccessreviews", false, [], []],
  ["authorization.k8s.io/v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", false, [], []],
  [
    "authorization.k8s.io/v1",
    "LocalSubjectAccessReview",
    "localsubjectaccessreviews",
    true,
    [],
    [],
  ],
  ["authorization.k8s.io/v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", false, [], []],
];

describe("groupKinds", () => {
  test("lists every named-group kind once, with upstream's discovery facts", () => {
    const actual = groupKinds.map((kind) => [
      `${kind.group}/${kind.version}`,
      kind.kind,
      kind.resource,
      kind.namespaced,
      [...(kind.shortNames ?? [])],
      [...(kind.categories ?? [])],
    ]);
    expect(actual).toEqual(expected);
  });

  for (const kind of groupKinds) {
    test(`${kind.kind} names a schema type and a singular resource name`, () => {
      expect(typeSchema(kind.schemaRef)?.field("metadata")).toBeDefined();
      expect(kind.singular).toBe(kind.kind.toLowerCase());
      if (kind.hasStatus) {
        expect(kind.subresources).toContain("status");
        expect(typeSchema(kind.schemaRef)?.field("status")).toBeDefined();
      }
    });
  }

  test("serves /scale for the workloads an autoscaler can target", () => {
    const scalable = groupKinds.filter((kind) => kind.scale).map((kind) => kind.kind);
    expect(scalable).toEqual(["Deployment", "ReplicaSet", "StatefulSet"]);
    for (const kind of groupKinds.filter((k) => k.scale)) {
      expect(kind.scale).toEqual({
        specReplicasPath: ".spec.replicas",
        statusReplicasPath: ".status.replicas",
        labelSelectorPath: ".spec.selector",
      });
      expect(kind.subresources).toContain("scale");
    }
  });
});
