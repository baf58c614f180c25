import { beforeEach, describe, expect, test } from "bun:test";
import { NodeGraph } from "../../../src/auth/node/graph.ts";
import { type NodeAttributes, NodeAuthorizer } from "../../../src/auth/node/node-authorizer.ts";
import type { UserInfo } from "../../../src/auth/types.ts";
import { alice, attributes, MemoryReader, nodeUser, pod, refs } from "./fixtures.ts";

const a = nodeUser("a");
const b = nodeUser("b");

let reader: MemoryReader;
let graph: NodeGraph;
let authorizer: NodeAuthorizer;

const decide = (user: UserInfo, fields: Partial<NodeAttributes>) =>
  authorizer.authorize(attributes(user, fields));
const decision = (user: UserInfo, fields: Partial<NodeAttributes>) => decide(user, fields).decision;
const secret = (user: UserInfo, name: string, fields: Partial<NodeAttributes> = {}) =>
  decision(user, { resource: "secrets", namespace: "ns", name, ...fields });

beforeEach(() => {
  reader = new MemoryReader([
    [refs.pvcs, { metadata: { namespace: "ns", name: "data" }, spec: { volumeName: "pv-1" } }],
    [refs.pvcs, { metadata: { namespace: "ns", name: "unbound" }, spec: {} }],
    [
      refs.pvs,
      {
        metadata: { name: "pv-1" },
        spec: {
          csi: { driver: "d", nodeStageSecretRef: { name: "csi-creds", namespace: "storage" } },
        },
      },
    ],
    [refs.pvs, { metadata: { name: "pv-2" }, spec: {} }],
    [refs.volumeAttachments, { metadata: { name: "va-a" }, spec: { nodeName: "a" } }],
    [refs.volumeAttachments, { metadata: { name: "va-b" }, spec: { nodeName: "b" } }],
  ]);
  graph = NodeGraph.fromPods([
    pod("web", "a", {
      serviceAccountName: "web-sa",
      volumes: [
        { name: "s", secret: { secretName: "web-secret" } },
        { name: "d", persistentVolumeClaim: { claimName: "data" } },
        { name: "u", persistentVolumeClaim: { claimName: "unbound" } },
      ],
      containers: [{ name: "c", envFrom: [{ configMapRef: { name: "web-config" } }] }],
      resourceClaims: [{ name: "gpu", resourceClaimName: "gpu-claim" }],
    }),
    pod("db", "b", { volumes: [{ name: "s", secret: { secretName: "db-secret" } }] }),
    pod("pending", ""),
  ]);
  authorizer = new NodeAuthorizer(graph, reader);
});

describe("who the authorizer speaks for", () => {
  test("has no opinion on users that are not nodes", () => {
    expect(secret(alice, "web-secret")).toBe("no-opinion");
    const impostor = { user: "system:node:a", groups: ["system:authenticated"] };
    expect(secret(impostor, "web-secret")).toBe("no-opinion");
  });

  test("leaves other resources and non-resource requests to RBAC", () => {
    expect(decision(a, { resource: "events", namespace: "ns", verb: "create" })).toBe("no-opinion");
    expect(decision(a, { resource: "services", verb: "list" })).toBe("no-opinion");
    expect(decision(a, { apiGroup: "apps", resource: "pods", verb: "list" })).toBe("no-opinion");
    expect(decision(a, { resourceRequest: false, path: "/healthz", resource: "" })).toBe(
      "no-opinion",
    );
    // Only resource requests are judged, whatever else the attributes carry.
    expect(
      decision(a, { resourceRequest: false, path: "/api/v1/secrets", resource: "secrets" }),
    ).toBe("no-opinion");
  });

  test("denies a node credential without a node name", () => {
    const nameless = { user: "system:node:", groups: ["system:nodes"] };
    expect(decide(nameless, { resource: "pods", verb: "list" })).toEqual({
      decision: "deny",
      reason: 'unknown node for user "system:node:"',
    });
  });
});

describe("secrets, config maps and claims", () => {
  test("a node gets a secret its pod uses, not one only another node's pod uses", () => {
    expect(secret(a, "web-secret")).toBe("allow");
    expect(decide(a, { resource: "secrets", namespace: "ns", name: "db-secret" })).toEqual({
      decision: "deny",
      reason: "no relationship found between node 'a' and this object",
    });
    expect(secret(b, "db-secret")).toBe("allow");
    expect(secret(b, "web-secret")).toBe("deny");
    expect(secret(a, "web-secret", { namespace: "other" })).toBe("deny");
  });

  test("only reads: no list of all secrets, no writes, no subresources", () => {
    expect(secret(a, "", { verb: "list" })).toBe("deny");
    expect(secret(a, "", { verb: "watch" })).toBe("deny");
    expect(decide(a, { resource: "secrets", verb: "list" }).reason).toBe(
      "can only read namespaced object of this type",
    );
    expect(
      decide(a, { resource: "secrets", namespace: "ns", verb: "update", name: "web-secret" })
        .reason,
    ).toBe("can only read resources of this type");
    expect(secret(a, "web-secret", { verb: "delete" })).toBe("deny");
    expect(secret(a, "web-secret", { subresource: "status" })).toBe("deny");
  });

  test("a single related secret may be watched through a metadata.name selector", () => {
    expect(secret(a, "", { verb: "watch", fieldSelector: "metadata.name=web-secret" })).toBe(
      "allow",
    );
    expect(secret(a, "", { verb: "list", fieldSelector: "metadata.name=db-secret" })).toBe("deny");
  });

  test("config maps follow the same rule", () => {
    const configMap = (user: UserInfo, name: string) =>
      decision(user, { resource: "configmaps", namespace: "ns", name });
    expect(configMap(a, "web-config")).toBe("allow");
    expect(configMap(b, "web-config")).toBe("deny");
  });

  test("claims may only be got, and persistent volumes only when bound to such a claim", () => {
    const get = (resource: string, name: string, verb = "get") =>
      decision(a, {
        resource,
        namespace: resource === "persistentvolumes" ? "" : "ns",
        name,
        verb,
      });
    expect(get("persistentvolumeclaims", "data")).toBe("allow");
    expect(get("persistentvolumeclaims", "other")).toBe("deny");
    expect(get("persistentvolumeclaims", "data", "watch")).toBe("deny");
    expect(decide(a, { resource: "persistentvolumeclaims", verb: "list" }).reason).toBe(
      "can only get individual resources of this type",
    );
    expect(get("persistentvolumes", "pv-1")).toBe("allow");
    expect(get("persistentvolumes", "pv-2")).toBe("deny");
    expect(decision(b, { resource: "persistentvolumes", name: "pv-1" })).toBe("deny");
  });

  test("a secret named by a bound persistent volume is readable", () => {
    expect(secret(a, "csi-creds", { namespace: "storage" })).toBe("allow");
    expect(secret(b, "csi-creds", { namespace: "storage" })).toBe("deny");
  });

  test("resource claims and volume attachments", () => {
    const claim = (user: UserInfo, name: string) =>
      decision(user, {
        apiGroup: "resource.k8s.io",
        resource: "resourceclaims",
        namespace: "ns",
        name,
      });
    expect(claim(a, "gpu-claim")).toBe("allow");
    expect(claim(b, "gpu-claim")).toBe("deny");
    const attachment = (name: string, verb = "get") =>
      decision(a, { apiGroup: "storage.k8s.io", resource: "volumeattachments", name, verb });
    expect(attachment("va-a")).toBe("allow");
    expect(attachment("va-b")).toBe("deny");
    expect(attachment("missing")).toBe("deny");
    expect(attachment("", "list")).toBe("deny");
  });

  test("service account tokens only for accounts of the node's pods", () => {
    const token = (user: UserInfo, name: string, fields: Partial<NodeAttributes> = {}) =>
      decision(user, {
        resource: "serviceaccounts",
        subresource: "token",
        verb: "create",
        namespace: "ns",
        name,
        ...fields,
      });
    expect(token(a, "web-sa")).toBe("allow");
    expect(token(b, "web-sa")).toBe("deny");
    // b's pod has no account set: it runs as "default".
    expect(token(b, "default")).toBe("allow");
    expect(token(a, "web-sa", { subresource: "" })).toBe("deny");
    expect(token(a, "web-sa", { verb: "get", subresource: "" })).toBe("deny");
  });
});

describe("pods", () => {
  const pods = (user: UserInfo, fields: Partial<NodeAttributes>) =>
    decision(user, { resource: "pods", namespace: "ns", ...fields });

  test("gets only pods bound to the node", () => {
    expect(pods(a, { name: "web" })).toBe("allow");
    expect(pods(a, { name: "db" })).toBe("deny");
    expect(pods(a, { name: "pending" })).toBe("deny");
  });

  test("lists and watches only with a spec.nodeName selector for itself", () => {
    expect(pods(a, { verb: "list", namespace: "" })).toBe("deny");
    expect(decide(a, { resource: "pods", verb: "watch" }).reason).toBe(
      "can only list/watch pods with spec.nodeName field selector",
    );
    expect(pods(a, { verb: "list", namespace: "", fieldSelector: "spec.nodeName=a" })).toBe(
      "allow",
    );
    expect(pods(a, { verb: "watch", namespace: "", fieldSelector: "spec.nodeName==a" })).toBe(
      "allow",
    );
    expect(pods(a, { verb: "watch", fieldSelector: "spec.nodeName=a,status.phase!=Failed" })).toBe(
      "allow",
    );
    expect(pods(a, { verb: "list", fieldSelector: "spec.nodeName=b" })).toBe("deny");
    expect(pods(a, { verb: "list", fieldSelector: "spec.nodeName!=a" })).toBe("deny");
    expect(pods(a, { verb: "list", fieldSelector: "spec.nodeName" })).toBe("deny");
    expect(pods(a, { verb: "list", fieldSelector: "metadata.name=web" })).toBe("allow");
    expect(pods(a, { verb: "list", fieldSelector: "metadata.name=db" })).toBe("deny");
  });

  test("creates (mirror pods), deletes own pods, writes own pods' status, evicts own pods", () => {
    expect(pods(a, { verb: "create" })).toBe("allow");
    expect(pods(a, { verb: "delete", name: "web" })).toBe("allow");
    expect(pods(a, { verb: "delete", name: "db" })).toBe("deny");
    expect(pods(a, { verb: "patch", subresource: "status", name: "web" })).toBe("allow");
    expect(pods(a, { verb: "update", subresource: "status", name: "db" })).toBe("deny");
    expect(pods(a, { verb: "create", subresource: "eviction", name: "web" })).toBe("allow");
    expect(pods(a, { verb: "create", subresource: "eviction", name: "db" })).toBe("deny");
  });

  test("denies everything else", () => {
    expect(pods(a, { verb: "update", name: "web" })).toBe("deny");
    expect(pods(a, { verb: "patch", name: "web" })).toBe("deny");
    expect(pods(a, { verb: "deletecollection" })).toBe("deny");
    expect(pods(a, { verb: "get", subresource: "log", name: "web" })).toBe("deny");
    expect(pods(a, { verb: "create", subresource: "exec", name: "web" })).toBe("deny");
    expect(pods(a, { verb: "create", subresource: "binding", name: "pending" })).toBe("deny");
  });

  test("follows the graph as pods move and go away", () => {
    const moved = pod("web", "b", {
      volumes: [{ name: "s", secret: { secretName: "web-secret" } }],
    });
    graph.podUpdated(moved);
    expect(pods(a, { name: "web" })).toBe("deny");
    expect(secret(a, "web-secret")).toBe("deny");
    expect(pods(b, { name: "web" })).toBe("allow");
    expect(secret(b, "web-secret")).toBe("allow");
    graph.podDeleted(moved);
    expect(secret(b, "web-secret")).toBe("deny");
    expect(secret(b, "db-secret")).toBe("allow");
  });
});

describe("nodes", () => {
  const nodes = (fields: Partial<NodeAttributes>) => decision(a, { resource: "nodes", ...fields });

  test("reads its own node only", () => {
    expect(nodes({ name: "a" })).toBe("allow");
    expect(decide(a, { resource: "nodes", name: "b" })).toEqual({
      decision: "deny",
      reason: "node 'a' cannot read 'b', only its own Node object",
    });
    expect(decide(a, { resource: "nodes", verb: "list" }).reason).toBe(
      "node 'a' cannot read all nodes, only its own Node object",
    );
    expect(nodes({ verb: "watch", fieldSelector: "metadata.name=a" })).toBe("allow");
    expect(nodes({ verb: "list", fieldSelector: "metadata.name=b" })).toBe("deny");
  });

  test("writes its own node and status, never deletes", () => {
    expect(nodes({ verb: "create" })).toBe("allow");
    expect(nodes({ verb: "create", name: "a" })).toBe("allow");
    expect(nodes({ verb: "create", name: "b" })).toBe("deny");
    expect(nodes({ verb: "update", name: "a" })).toBe("allow");
    expect(nodes({ verb: "patch", name: "b" })).toBe("deny");
    expect(nodes({ verb: "patch", subresource: "status", name: "a" })).toBe("allow");
    expect(nodes({ verb: "update", subresource: "status", name: "b" })).toBe("deny");
    expect(nodes({ verb: "delete", name: "a" })).toBe("deny");
    expect(nodes({ verb: "get", subresource: "proxy", name: "a" })).toBe("deny");
  });
});

describe("leases and CSINodes", () => {
  const lease = (fields: Partial<NodeAttributes>) =>
    decide(a, {
      apiGroup: "coordination.k8s.io",
      resource: "leases",
      namespace: "kube-node-lease",
      name: "a",
      ...fields,
    });

  test("a node manages the lease named after it in kube-node-lease", () => {
    for (const verb of ["get", "update", "patch", "delete"])
      expect(lease({ verb }).decision).toBe("allow");
    expect(lease({ verb: "create", name: "" }).decision).toBe("allow");
    expect(lease({ name: "b" })).toEqual({
      decision: "deny",
      reason: "can only access node lease with the same name as the requesting node",
    });
    expect(lease({ namespace: "kube-system" }).reason).toBe(
      'can only access leases in the "kube-node-lease" system namespace',
    );
    expect(lease({ verb: "list", name: "" }).reason).toBe(
      "can only get, create, update, patch, or delete a node lease",
    );
    expect(lease({ verb: "watch" }).decision).toBe("deny");
  });

  test("a node manages the CSINode named after it", () => {
    const csiNode = (fields: Partial<NodeAttributes>) =>
      decision(a, { apiGroup: "storage.k8s.io", resource: "csinodes", name: "a", ...fields });
    expect(csiNode({})).toBe("allow");
    expect(csiNode({ verb: "delete" })).toBe("allow");
    expect(csiNode({ verb: "create", name: "" })).toBe("allow");
    expect(csiNode({ name: "b" })).toBe("deny");
    expect(csiNode({ verb: "list", name: "" })).toBe("deny");
  });
});
