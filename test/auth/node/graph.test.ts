import { describe, expect, test } from "bun:test";
import { NodeGraph } from "../../../src/auth/node/graph.ts";
import { podReferences } from "../../../src/auth/node/pod-references.ts";
import { pod } from "./fixtures.ts";

const withSecret = (name: string, node: string, secret: string) =>
  pod(name, node, { volumes: [{ name: "v", secret: { secretName: secret } }] });

describe("podReferences", () => {
  test("collects every way a pod names a secret, config map, volume claim, account or resource claim", () => {
    const refs = podReferences(
      pod("web", "n1", {
        serviceAccountName: "builder",
        imagePullSecrets: [{ name: "pull" }],
        initContainers: [
          {
            name: "i",
            envFrom: [{ secretRef: { name: "init-env" } }, { configMapRef: { name: "init-cm" } }],
          },
        ],
        containers: [
          {
            name: "c",
            env: [
              { name: "A", valueFrom: { secretKeyRef: { name: "key-secret", key: "k" } } },
              { name: "B", valueFrom: { configMapKeyRef: { name: "key-cm", key: "k" } } },
            ],
          },
        ],
        ephemeralContainers: [{ name: "e", envFrom: [{ secretRef: { name: "debug" } }] }],
        volumes: [
          { name: "s", secret: { secretName: "vol-secret" } },
          { name: "m", configMap: { name: "vol-cm" } },
          {
            name: "p",
            projected: {
              sources: [{ secret: { name: "proj-secret" } }, { configMap: { name: "proj-cm" } }],
            },
          },
          { name: "d", persistentVolumeClaim: { claimName: "data" } },
          { name: "scratch", ephemeral: { volumeClaimTemplate: { spec: {} } } },
          { name: "csi", csi: { driver: "x", nodePublishSecretRef: { name: "csi-secret" } } },
        ],
        resourceClaims: [
          { name: "gpu", resourceClaimName: "shared-gpu" },
          { name: "tpl", resourceClaimTemplateName: "t" },
        ],
      }),
    );
    expect([...refs.secrets].sort()).toEqual(
      ["csi-secret", "debug", "init-env", "key-secret", "proj-secret", "pull", "vol-secret"].sort(),
    );
    expect([...refs.configmaps].sort()).toEqual(["init-cm", "key-cm", "proj-cm", "vol-cm"]);
    expect([...refs.persistentvolumeclaims].sort()).toEqual(["data", "web-scratch"]);
    expect([...refs.serviceaccounts]).toEqual(["builder"]);
    // The template's claim has no name until the controller records it in status.
    expect([...refs.resourceclaims]).toEqual(["shared-gpu"]);
  });

  test("reads generated claim names from status and defaults the service account", () => {
    const object = pod("web", "n1", {
      resourceClaims: [{ name: "tpl", resourceClaimTemplateName: "t" }],
    });
    object.status = { resourceClaimStatuses: [{ name: "tpl", resourceClaimName: "web-tpl-x1" }] };
    const refs = podReferences(object);
    expect([...refs.resourceclaims]).toEqual(["web-tpl-x1"]);
    expect([...refs.serviceaccounts]).toEqual(["default"]);
  });
});

describe("NodeGraph", () => {
  test("indexes bound pods by node and their references per node", () => {
    const graph = NodeGraph.fromPods([withSecret("a", "n1", "s1"), withSecret("b", "n2", "s2")]);
    expect(graph.nodeOf("ns", "a")).toBe("n1");
    expect(graph.podsOn("n1")).toEqual([{ namespace: "ns", name: "a" }]);
    expect(graph.references("n1", "secrets", "ns", "s1")).toBe(true);
    expect(graph.references("n1", "secrets", "ns", "s2")).toBe(false);
    expect(graph.references("n1", "secrets", "other", "s1")).toBe(false);
    expect(graph.referenced("n2", "secrets")).toEqual([{ namespace: "ns", name: "s2" }]);
  });

  test("ignores pods that are not scheduled, and forgets a pod that loses its node", () => {
    const graph = new NodeGraph();
    graph.podAdded(withSecret("a", "", "s1"));
    expect(graph.nodeOf("ns", "a")).toBeUndefined();
    expect(graph.references("", "secrets", "ns", "s1")).toBe(false);
    graph.podUpdated(withSecret("a", "n1", "s1"));
    expect(graph.nodeOf("ns", "a")).toBe("n1");
    graph.podUpdated(withSecret("a", "", "s1"));
    expect(graph.nodeOf("ns", "a")).toBeUndefined();
    expect(graph.references("n1", "secrets", "ns", "s1")).toBe(false);
  });

  test("moves a pod's references with the pod and drops them on delete", () => {
    const graph = new NodeGraph();
    graph.podAdded(withSecret("a", "n1", "s1"));
    graph.podUpdated(withSecret("a", "n2", "s1"));
    expect(graph.references("n1", "secrets", "ns", "s1")).toBe(false);
    expect(graph.references("n2", "secrets", "ns", "s1")).toBe(true);
    expect(graph.podsOn("n1")).toEqual([]);
    graph.podDeleted(withSecret("a", "n2", "s1"));
    expect(graph.references("n2", "secrets", "ns", "s1")).toBe(false);
    expect(graph.nodeOf("ns", "a")).toBeUndefined();
  });

  test("replaces a pod's references when its spec changes (an added ephemeral container)", () => {
    const graph = new NodeGraph();
    graph.podAdded(pod("a", "n1"));
    expect(graph.references("n1", "secrets", "ns", "debug")).toBe(false);
    graph.podUpdated(
      pod("a", "n1", {
        ephemeralContainers: [{ name: "e", envFrom: [{ secretRef: { name: "debug" } }] }],
      }),
    );
    expect(graph.references("n1", "secrets", "ns", "debug")).toBe(true);
  });

  test("keeps a shared reference until the last pod using it is gone", () => {
    const graph = new NodeGraph();
    graph.podAdded(withSecret("a", "n1", "shared"));
    graph.podAdded(withSecret("b", "n1", "shared"));
    // A repeated add must not count the pod twice.
    graph.podAdded(withSecret("b", "n1", "shared"));
    graph.podDeleted(withSecret("a", "n1", "shared"));
    expect(graph.references("n1", "secrets", "ns", "shared")).toBe(true);
    graph.podDeleted(withSecret("b", "n1", "shared"));
    expect(graph.references("n1", "secrets", "ns", "shared")).toBe(false);
    expect(graph.referenced("n1", "serviceaccounts")).toEqual([]);
  });
});
