import { beforeEach, describe, expect, test } from "bun:test";
import type { AdmissionRequest } from "../../../src/api/admission/admission.ts";
import { StatusError } from "../../../src/api/errors/status-error.ts";
import { checkNodeDelete, NodeRestriction } from "../../../src/auth/node/node-restriction.ts";
import type { UserInfo } from "../../../src/auth/types.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import {
  admissionRequest,
  alice,
  kinds,
  MemoryReader,
  nodeUser,
  pod,
  type RequestFields,
  refs,
} from "./fixtures.ts";

const a = nodeUser("a");
let plugin: NodeRestriction;

beforeEach(() => {
  const reader = new MemoryReader([
    [refs.nodes, { metadata: { name: "a", uid: "node-a-uid" } }],
    [refs.pods, pod("web", "a")],
    [refs.pods, pod("db", "b")],
  ]);
  plugin = new NodeRestriction(reader);
});

/** The message the plugin refuses a request with, or undefined when it admits it. */
async function refusal(user: UserInfo, fields: RequestFields): Promise<string | undefined> {
  const request: AdmissionRequest = admissionRequest(user, fields);
  try {
    if (request.operation === "DELETE") await plugin.validate(request);
    else await plugin.mutate(request);
    return undefined;
  } catch (error) {
    if (!(error instanceof StatusError)) throw error;
    return error.message;
  }
}

function mirrorPod(
  overrides: Record<string, unknown> = {},
  meta: Record<string, unknown> = {},
): KubeObject {
  const object = pod("static-web-a", "a", overrides);
  object.metadata = {
    ...object.metadata,
    annotations: { "kubernetes.io/config.mirror": "hash" },
    ownerReferences: [
      { apiVersion: "v1", kind: "Node", name: "a", uid: "node-a-uid", controller: true },
    ],
    ...meta,
  };
  return object;
}

const createPod = (object: KubeObject, user: UserInfo = a) =>
  refusal(user, { operation: "CREATE", kind: kinds.pods, object, namespace: "ns" });

describe("users that are not nodes", () => {
  test("are not restricted", async () => {
    expect(await createPod(pod("x", "b"), alice)).toBeUndefined();
    expect(
      await refusal(alice, {
        operation: "UPDATE",
        kind: kinds.nodes,
        object: { metadata: { name: "b" } },
      }),
    ).toBeUndefined();
    expect(() => checkNodeDelete(alice, refs.pods, pod("db", "b"))).not.toThrow();
  });

  test("a node credential without a name is refused", async () => {
    const nameless = { user: "system:node:", groups: ["system:nodes"] };
    expect(await createPod(mirrorPod(), nameless)).toBe(
      'pods "static-web-a" is forbidden: could not determine node from user "system:node:"',
    );
  });
});

describe("pod creation", () => {
  test("admits a mirror pod bound to the node and owned by it", async () => {
    expect(await createPod(mirrorPod())).toBeUndefined();
    expect(
      await createPod(mirrorPod({ volumes: [{ name: "h", hostPath: { path: "/etc" } }] })),
    ).toBeUndefined();
  });

  test("refuses pods that are not mirror pods or bound elsewhere", async () => {
    expect(await createPod(pod("plain", "a"))).toBe(
      'pods "plain" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "a" can only create mirror pods',
    );
    expect(await createPod(mirrorPod({ nodeName: "b" }))).toBe(
      'pods "static-web-a" is forbidden: node "a" can only create pods with spec.nodeName set to itself',
    );
  });

  test("refuses mirror pods not owned by the node as controller", async () => {
    const owned = (owner: Record<string, unknown>[]) =>
      createPod(mirrorPod({}, { ownerReferences: owner }));
    const node = { apiVersion: "v1", kind: "Node", name: "a", uid: "node-a-uid", controller: true };
    expect(await owned([])).toContain(
      'node "a" can only create pods with an owner reference set to itself',
    );
    expect(await owned([node, node])).toContain("with a single owner reference set to itself");
    expect(await owned([{ ...node, name: "b" }])).toContain(
      "with an owner reference set to itself",
    );
    expect(await owned([{ ...node, controller: false }])).toContain(
      "with a controller owner reference",
    );
    expect(await owned([{ ...node, blockOwnerDeletion: true }])).toContain(
      "must not set blockOwnerDeletion",
    );
    expect(await owned([{ ...node, uid: "stale" }])).toContain(
      "node a UID mismatch: expected stale got node-a-uid",
    );
  });

  test("refuses mirror pods that reference other API objects", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ serviceAccountName: "sa" }, "serviceaccounts"],
      [{ volumes: [{ name: "s", secret: { secretName: "s" } }] }, "secrets"],
      [{ imagePullSecrets: [{ name: "pull" }] }, "secrets"],
      [
        {
          containers: [
            {
              name: "c",
              env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "cm", key: "k" } } }],
            },
          ],
        },
        "configmaps",
      ],
      [
        { volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }] },
        "persistentvolumeclaims",
      ],
      [
        {
          volumes: [
            { name: "t", projected: { sources: [{ serviceAccountToken: { path: "t" } }] } },
          ],
        },
        "serviceaccounts (via projected volumes)",
      ],
      [{ resourceClaims: [{ name: "gpu", resourceClaimName: "gpu" }] }, "resourceclaims"],
    ];
    for (const [spec, resource] of cases) {
      expect(await createPod(mirrorPod(spec))).toBe(
        `pods "static-web-a" is forbidden: node "a" can not create pods that reference ${resource}`,
      );
    }
  });
});

describe("pod updates, status and eviction", () => {
  const web = pod("web", "a");
  const db = pod("db", "b");

  test("updates only the status of its own pods, without touching labels", async () => {
    const status = (object: KubeObject, oldObject: KubeObject) =>
      refusal(a, {
        operation: "UPDATE",
        kind: kinds.pods,
        subresource: "status",
        object,
        oldObject,
        namespace: "ns",
      });
    expect(await status({ ...web, status: { phase: "Running" } }, web)).toBeUndefined();
    expect(await status(db, db)).toBe(
      'pods "db" is forbidden: node "a" can only update pod status for pods with spec.nodeName set to itself',
    );
    const relabeled = { ...web, metadata: { ...web.metadata, labels: { role: "admin" } } };
    expect(await status(relabeled, web)).toContain("cannot update labels through pod status");
    const claimed = {
      ...web,
      status: { resourceClaimStatuses: [{ name: "gpu", resourceClaimName: "other" }] },
    };
    expect(await status(claimed, web)).toContain("cannot update resource claim statues");
  });

  test("never updates a pod itself", async () => {
    expect(
      await refusal(a, { operation: "UPDATE", kind: kinds.pods, object: web, oldObject: web }),
    ).toBe(
      'pods "web" is forbidden: unexpected operation "UPDATE", node "a" can only create and delete mirror pods',
    );
    expect(
      await refusal(a, {
        operation: "CREATE",
        kind: kinds.pods,
        subresource: "binding",
        object: web,
      }),
    ).toContain("unexpected pod subresource \"binding\", only 'status' and 'eviction' are allowed");
  });

  test("evicts only its own pods", async () => {
    const evict = (name: string) =>
      refusal(a, {
        operation: "CREATE",
        kind: kinds.pods,
        subresource: "eviction",
        object: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace: "ns" } },
        namespace: "ns",
      });
    expect(await evict("web")).toBeUndefined();
    expect(await evict("db")).toContain(
      "node a can only evict pods with spec.nodeName set to itself",
    );
    expect(await evict("missing")).toBe('pods "missing" not found');
  });
});

describe("nodes", () => {
  const node = (
    name: string,
    labels: Record<string, string> = {},
    spec: Record<string, unknown> = {},
  ) => ({
    metadata: { name, labels },
    spec,
  });
  const create = (object: KubeObject) =>
    refusal(a, { operation: "CREATE", kind: kinds.nodes, object });
  const update = (object: KubeObject, oldObject: KubeObject, subresource = "") =>
    refusal(a, { operation: "UPDATE", kind: kinds.nodes, object, oldObject, subresource });

  test("creates and updates only itself", async () => {
    expect(await create(node("a", { "kubernetes.io/hostname": "a" }))).toBeUndefined();
    expect(await create(node("b"))).toBe(
      'nodes "b" is forbidden: node "a" is not allowed to modify node "b"',
    );
    expect(await update(node("b"), node("b"))).toContain(
      'node "a" is not allowed to modify node "b"',
    );
    expect(
      await update(node("a", { "example.com/rack": "r1" }), node("a"), "status"),
    ).toBeUndefined();
  });

  test("may set only the kubelet's own well-known labels", async () => {
    const allowed = {
      "kubernetes.io/hostname": "a",
      "kubernetes.io/arch": "amd64",
      "beta.kubernetes.io/os": "linux",
      "topology.kubernetes.io/zone": "z1",
      "node.kubernetes.io/instance-type": "big",
      "node.kubernetes.io/exclude-from-external-load-balancers": "",
      "x.kubelet.kubernetes.io/y": "",
      "example.com/anything": "",
    };
    expect(await create(node("a", allowed))).toBeUndefined();
    const labels = {
      "node-restriction.kubernetes.io/secure": "true",
      "node-role.kubernetes.io/control-plane": "",
      "k8s.io/x": "",
    };
    expect(await create(node("a", labels))).toBe(
      'nodes "a" is forbidden: node "a" is not allowed to set the following labels: k8s.io/x, node-restriction.kubernetes.io/secure, node-role.kubernetes.io/control-plane',
    );
    expect(
      await update(node("a", { "node-restriction.kubernetes.io/secure": "true" }), node("a")),
    ).toBe(
      'nodes "a" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/secure',
    );
    // Removing a protected label is a change too.
    expect(await update(node("a"), node("a", { "node-role.kubernetes.io/worker": "" }))).toContain(
      "is not allowed to modify labels: node-role.kubernetes.io/worker",
    );
  });

  test("may not change taints, pod CIDRs or the config source", async () => {
    const taint = { key: "dedicated", value: "gpu", effect: "NoSchedule" };
    expect(await create(node("a", {}, { taints: [taint] }))).toBeUndefined();
    expect(
      await update(node("a", {}, { taints: [] }), node("a", {}, { taints: [taint] })),
    ).toContain('node "a" is not allowed to modify taints');
    expect(await update(node("a", {}, { taints: [] }), node("a"))).toBeUndefined();
    expect(
      await update(
        node("a", {}, { podCIDRs: ["10.0.9.0/24"] }),
        node("a", {}, { podCIDRs: ["10.0.1.0/24"] }),
      ),
    ).toContain('node "a" is not allowed to modify podCIDRs');
    expect(await update(node("a", {}, { podCIDR: "10.0.9.0/24" }), node("a"))).toContain(
      'node "a" is not allowed to modify podCIDRs',
    );
    const source = { configMap: { name: "cfg", namespace: "kube-system", kubeletConfigKey: "k" } };
    expect(await create(node("a", {}, { configSource: source }))).toContain(
      "is not allowed to create pods with a non-nil configSource",
    );
    expect(await update(node("a", {}, { configSource: source }), node("a"))).toContain(
      "is not allowed to update configSource to a new non-nil configSource",
    );
  });
});

describe("leases, CSINodes, claims and tokens", () => {
  test("leases only in kube-node-lease and named after the node", async () => {
    const lease = (name: string, namespace: string, operation: "CREATE" | "UPDATE" = "CREATE") => {
      const object = { metadata: { name, namespace } };
      return refusal(a, { operation, kind: kinds.leases, object, oldObject: object, namespace });
    };
    expect(await lease("a", "kube-node-lease")).toBeUndefined();
    expect(await lease("a", "kube-node-lease", "UPDATE")).toBeUndefined();
    expect(await lease("b", "kube-node-lease", "UPDATE")).toBe(
      'leases.coordination.k8s.io "b" is forbidden: can only access node lease with the same name as the requesting node',
    );
    expect(await lease("a", "kube-system")).toContain(
      'can only access leases in the "kube-node-lease" system namespace',
    );
  });

  test("CSINodes named after the node", async () => {
    const csiNode = (name: string) =>
      refusal(a, { operation: "CREATE", kind: kinds.csiNodes, object: { metadata: { name } } });
    expect(await csiNode("a")).toBeUndefined();
    expect(await csiNode("b")).toContain(
      "can only access CSINode with the same name as the requesting node",
    );
  });

  test("claims: only status, and only capacity and conditions", async () => {
    const claim = {
      metadata: { name: "data", namespace: "ns", resourceVersion: "1" },
      spec: {},
      status: {},
    };
    const grown = {
      ...claim,
      metadata: { ...claim.metadata, resourceVersion: "" },
      status: { capacity: { storage: "2Gi" } },
    };
    const status = (object: KubeObject, subresource = "status") =>
      refusal(a, {
        operation: "UPDATE",
        kind: kinds.pvcs,
        object,
        oldObject: claim,
        subresource,
        namespace: "ns",
      });
    expect(await status(grown)).toBeUndefined();
    expect(await status({ ...claim, status: { phase: "Lost" } })).toContain(
      'node "a" is not allowed to update fields other than status.capacity and status.conditions',
    );
    expect(await status(grown, "")).toContain("may only update PVC status");
  });

  test("tokens only bound to a pod on the node", async () => {
    const token = (boundObjectRef?: Record<string, unknown>) =>
      refusal(a, {
        operation: "CREATE",
        kind: kinds.serviceAccounts,
        subresource: "token",
        object: {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { boundObjectRef },
        },
        namespace: "ns",
      });
    const bound = (name: string, uid?: string) => ({ apiVersion: "v1", kind: "Pod", name, uid });
    expect(await token(bound("web", "uid-web"))).toBeUndefined();
    expect(await token(bound("web"))).toBeUndefined();
    expect(await token()).toContain("node requested token not bound to a pod");
    expect(await token({ ...bound("web"), kind: "Secret" })).toContain(
      "node requested token not bound to a pod",
    );
    expect(await token(bound("db"))).toContain(
      "node requested token bound to a pod scheduled on a different node",
    );
    expect(await token(bound("web", "old"))).toContain(
      "the UID in the bound object reference (old) does not match the UID in record",
    );
    expect(await token(bound("gone"))).toBe('pods "gone" not found');
  });
});

describe("deletes", () => {
  test("checkNodeDelete allows own pods and node, refuses the rest", () => {
    expect(() => checkNodeDelete(a, refs.pods, pod("web", "a"))).not.toThrow();
    expect(() => checkNodeDelete(a, refs.nodes, { metadata: { name: "a" } })).not.toThrow();
    expect(() => checkNodeDelete(a, refs.pods, pod("db", "b"))).toThrow(
      'pods "db" is forbidden: node "a" can only delete pods with spec.nodeName set to itself',
    );
    expect(() => checkNodeDelete(a, refs.nodes, { metadata: { name: "b" } })).toThrow(
      'node "a" is not allowed to modify node "b"',
    );
    const lease = { group: "coordination.k8s.io", resource: "leases" };
    expect(() =>
      checkNodeDelete(a, lease, { metadata: { name: "a", namespace: "kube-node-lease" } }),
    ).not.toThrow();
    expect(() =>
      checkNodeDelete(a, lease, { metadata: { name: "b", namespace: "kube-node-lease" } }),
    ).toThrow("can only access node lease with the same name as the requesting node");
  });

  test("the plugin applies the same rules when validating a delete", async () => {
    const remove = (object: KubeObject) =>
      refusal(a, {
        operation: "DELETE",
        kind: kinds.pods,
        object,
        oldObject: object,
        namespace: "ns",
      });
    expect(await remove(pod("web", "a"))).toBeUndefined();
    expect(await remove(pod("db", "b"))).toContain(
      "can only delete pods with spec.nodeName set to itself",
    );
  });

  test("refusals are 403 Forbidden", () => {
    try {
      checkNodeDelete(a, refs.pods, pod("db", "b"));
      throw new Error("expected a refusal");
    } catch (error) {
      expect(error).toBeInstanceOf(StatusError);
      expect((error as StatusError).code).toBe(403);
      expect((error as StatusError).status.reason).toBe("Forbidden");
    }
  });
});
