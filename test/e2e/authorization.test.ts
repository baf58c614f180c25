import "reflect-metadata";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { buildKubeconfig } from "../../src/tls/kubeconfig.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { certificateKubeconfig, clusterCa, clusterFetch } from "../support/credentials.ts";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster();
});

afterAll(async () => {
  await cluster?.stop();
});

/** Polls `check` until it returns a value (bounded), for what controllers do in the background. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const value = await check();
    if (value !== undefined) return value;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const canI = async (args: string[], options: { env?: Record<string, string> } = {}) =>
  (await cluster.kubectl(["auth", "can-i", ...args], options)).stdout.trim();

describe("RBAC", () => {
  test("a user without bindings is refused with upstream's message", async () => {
    const result = await cluster.kubectl(["get", "pods", "--as", "bob"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    expect(await canI(["get", "pods", "--as", "bob"])).toBe("no");
  });

  test("the aggregated view role, bound in one namespace, reads but does not write there", async () => {
    await cluster.ok(["create", "namespace", "team-view"]);
    await cluster.ok([
      "create",
      "rolebinding",
      "bob-view",
      "--clusterrole",
      "view",
      "--user",
      "bob",
      "-n",
      "team-view",
    ]);
    await cluster.ok(["get", "pods", "-n", "team-view", "--as", "bob"]);
    expect(await canI(["list", "deployments.apps", "-n", "team-view", "--as", "bob"])).toBe("yes");
    expect(await canI(["create", "pods", "-n", "team-view", "--as", "bob"])).toBe("no");
    expect(await canI(["get", "secrets", "-n", "team-view", "--as", "bob"])).toBe("no");
    expect(await canI(["list", "pods", "-n", "default", "--as", "bob"])).toBe("no");
  });

  test("a ClusterRole labelled aggregate-to-view extends view", async () => {
    await cluster.ok(["apply", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: {
          name: "nodes-view",
          labels: { "rbac.authorization.k8s.io/aggregate-to-view": "true" },
        },
        rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get", "list"] }],
      }),
    });
    await eventually(async () => {
      const view = JSON.parse(await cluster.ok(["get", "clusterrole", "view", "-o", "json"]));
      const rules = view.rules as { apiGroups?: string[]; resources?: string[] }[];
      return rules.some((r) => r.resources?.includes("nodes")) ? true : undefined;
    }, "view to gather the nodes rule");
    await cluster.ok([
      "create",
      "clusterrolebinding",
      "gina-view",
      "--clusterrole",
      "view",
      "--user",
      "gina",
    ]);
    expect(await canI(["list", "nodes", "--as", "gina"])).toBe("yes");
  });

  test("auth can-i --list shows a user's rules", async () => {
    await cluster.ok(["create", "namespace", "team-list"]);
    await cluster.ok([
      "create",
      "role",
      "cm-reader",
      "--verb",
      "get,list",
      "--resource",
      "configmaps",
      "-n",
      "team-list",
    ]);
    await cluster.ok([
      "create",
      "rolebinding",
      "hank-cm",
      "--role",
      "cm-reader",
      "--user",
      "hank",
      "-n",
      "team-list",
    ]);
    const listed = await cluster.ok(["auth", "can-i", "--list", "-n", "team-list", "--as", "hank"]);
    expect(listed).toMatch(/configmaps\s+\[\]\s+\[\]\s+\[get list\]/);
    expect(listed).toContain("selfsubjectaccessreviews.authorization.k8s.io");
  });

  test("a node sees the rules RBAC gives nodes", async () => {
    const listed = await cluster.ok([
      "auth",
      "can-i",
      "--list",
      "--as",
      "system:node:n1",
      "--as-group",
      "system:nodes",
    ]);
    expect(listed).toContain("certificatesigningrequests.certificates.k8s.io");
    expect(listed).toContain("events");
    expect(
      await canI(["list", "secrets", "--as", "system:node:n1", "--as-group", "system:nodes"]),
    ).toStartWith("no");
  });

  test("a user whose CSR was approved with kubectl authenticates with the signed certificate", async () => {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: "CN=erin,O=developers",
      keys,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    });
    await cluster.ok(["apply", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "certificates.k8s.io/v1",
        kind: "CertificateSigningRequest",
        metadata: { name: "erin" },
        spec: {
          request: Buffer.from(csr.toString("pem")).toString("base64"),
          signerName: "kubernetes.io/kube-apiserver-client",
          usages: ["client auth"],
          expirationSeconds: 86400,
        },
      }),
    });
    await cluster.ok(["certificate", "approve", "erin"]);
    const certificate = await eventually(async () => {
      const value = await cluster.ok([
        "get",
        "csr",
        "erin",
        "-o",
        "jsonpath={.status.certificate}",
      ]);
      return value ? Buffer.from(value, "base64").toString("utf8") : undefined;
    }, "the signer to issue erin's certificate");
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(
      await crypto.subtle.exportKey("pkcs8", keys.privateKey),
    ).toString("base64")}\n-----END PRIVATE KEY-----\n`;
    const kubeconfig = join(cluster.dataDir, "erin.kubeconfig");
    await writeFile(
      kubeconfig,
      buildKubeconfig({
        server: cluster.url,
        caPem: (await clusterCa(cluster)).certPem,
        userName: "erin",
        clientCertPem: certificate,
        clientKeyPem: keyPem,
      }),
    );
    const env = { KUBECONFIG: kubeconfig };
    const whoami = JSON.parse(await cluster.ok(["auth", "whoami", "-o", "json"], { env })).status
      .userInfo;
    expect(whoami.username).toBe("erin");
    expect(whoami.groups).toContain("developers");
    expect((await cluster.kubectl(["get", "pods"], { env })).stderr).toContain(
      'User "erin" cannot list resource "pods"',
    );
    await cluster.ok([
      "create",
      "rolebinding",
      "developers-edit",
      "--clusterrole",
      "edit",
      "--group",
      "developers",
    ]);
    await cluster.ok(["get", "pods"], { env });
    expect(await canI(["create", "deployments.apps"], { env })).toBe("yes");
  });

  test("nobody grants what they do not hold: escalation is refused", async () => {
    await cluster.ok(["create", "namespace", "team-esc"]);
    await cluster.ok([
      "create",
      "role",
      "rbac-manager",
      "--verb",
      "get,list,create,update",
      "--resource",
      "roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io,pods",
      "-n",
      "team-esc",
    ]);
    await cluster.ok([
      "create",
      "rolebinding",
      "ivy-rbac",
      "--role",
      "rbac-manager",
      "--user",
      "ivy",
      "-n",
      "team-esc",
    ]);
    const asIvy = ["-n", "team-esc", "--as", "ivy"];
    // Within what she holds: allowed.
    await cluster.ok([
      "create",
      "role",
      "pod-reader",
      "--verb",
      "get",
      "--resource",
      "pods",
      ...asIvy,
    ]);
    // More than she holds: refused, naming what is missing.
    const grant = await cluster.kubectl([
      "create",
      "role",
      "pod-deleter",
      "--verb",
      "delete",
      "--resource",
      "pods",
      ...asIvy,
    ]);
    expect(grant.code).not.toBe(0);
    expect(grant.stderr).toContain("is attempting to grant RBAC permissions not currently held");
    expect(grant.stderr).toContain("delete");
    // Binding a role with more than she holds: refused too.
    const bind = await cluster.kubectl([
      "create",
      "rolebinding",
      "ivy-admin",
      "--clusterrole",
      "admin",
      "--user",
      "ivy",
      ...asIvy,
    ]);
    expect(bind.code).not.toBe(0);
    expect(bind.stderr).toContain("forbidden");
    expect(await canI(["delete", "pods", ...asIvy])).toBe("no");
  });
});

describe("admission", () => {
  test("16 clients racing for a quota of 10 pods get exactly 10", async () => {
    await cluster.ok(["create", "namespace", "quota-race"]);
    await cluster.ok(["create", "quota", "q", "--hard", "pods=10", "-n", "quota-race"]);
    const admin = await certificateKubeconfig(cluster, "racer", ["system:masters"]);
    const create = (i: number) =>
      clusterFetch(cluster, "/api/v1/namespaces/quota-race/pods", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: `p${i}` },
          spec: { containers: [{ name: "c", image: "busybox" }] },
        }),
        cert: admin.certPem,
        key: admin.keyPem,
      });
    const responses = await Promise.all(Array.from({ length: 16 }, (_, i) => create(i)));
    const codes = responses.map((r) => r.status).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(10);
    expect(codes.filter((c) => c === 403)).toHaveLength(6);
    const denied = (await responses.find((r) => r.status === 403)?.json()) as { message: string };
    expect(denied.message).toContain(
      "exceeded quota: q, requested: pods=1, used: pods=10, limited: pods=10",
    );
    const pods = await cluster.ok(["get", "pods", "-n", "quota-race", "-o", "name"]);
    expect(pods.trim().split("\n")).toHaveLength(10);
    const used = await cluster.ok([
      "get",
      "quota",
      "q",
      "-n",
      "quota-race",
      "-o",
      "jsonpath={.status.used.pods}",
    ]);
    expect(used).toBe("10");
  });

  test("deleting pods frees their quota", async () => {
    await cluster.ok(["create", "namespace", "quota-free"]);
    await cluster.ok(["create", "quota", "q", "--hard", "pods=1", "-n", "quota-free"]);
    await cluster.ok(["run", "one", "--image", "busybox", "-n", "quota-free"]);
    const second = await cluster.kubectl(["run", "two", "--image", "busybox", "-n", "quota-free"]);
    expect(second.stderr).toContain("exceeded quota: q");
    await cluster.ok([
      "delete",
      "pod",
      "one",
      "-n",
      "quota-free",
      "--grace-period",
      "0",
      "--force",
    ]);
    await eventually(async () => {
      const result = await cluster.kubectl([
        "run",
        "two",
        "--image",
        "busybox",
        "-n",
        "quota-free",
      ]);
      return result.code === 0 ? true : undefined;
    }, "the quota to be freed");
  });

  test("LimitRange defaults fill in requests and limits; its maximum is enforced", async () => {
    await cluster.ok(["create", "namespace", "limits"]);
    await cluster.ok(["apply", "-n", "limits", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "LimitRange",
        metadata: { name: "defaults" },
        spec: {
          limits: [
            {
              type: "Container",
              default: { cpu: "500m", memory: "128Mi" },
              defaultRequest: { cpu: "100m", memory: "64Mi" },
              max: { cpu: "1" },
            },
          ],
        },
      }),
    });
    await cluster.ok(["run", "web", "--image", "nginx", "-n", "limits"]);
    const resources = JSON.parse(
      await cluster.ok([
        "get",
        "pod",
        "web",
        "-n",
        "limits",
        "-o",
        "jsonpath={.spec.containers[0].resources}",
      ]),
    );
    expect(resources).toEqual({
      limits: { cpu: "500m", memory: "128Mi" },
      requests: { cpu: "100m", memory: "64Mi" },
    });
    const tooBig = await cluster.kubectl(["apply", "-n", "limits", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "big" },
        spec: {
          containers: [{ name: "c", image: "busybox", resources: { limits: { cpu: "2" } } }],
        },
      }),
    });
    expect(tooBig.stderr).toContain("maximum cpu usage per Container is 1, but limit is 2");
  });

  test("pods get the default service account, its token volume, a priority and tolerations", async () => {
    await cluster.ok(["run", "defaults", "--image", "busybox"]);
    const pod = JSON.parse(await cluster.ok(["get", "pod", "defaults", "-o", "json"]));
    expect(pod.spec.serviceAccountName).toBe("default");
    expect(pod.spec.priority).toBe(0);
    const volume = (pod.spec.volumes as { name: string; projected?: unknown }[]).find((v) =>
      v.name.startsWith("kube-api-access-"),
    );
    expect(volume?.projected).toBeDefined();
    expect(pod.spec.containers[0].volumeMounts[0].mountPath).toBe(
      "/var/run/secrets/kubernetes.io/serviceaccount",
    );
    const keys = (pod.spec.tolerations as { key: string; tolerationSeconds: number }[]).map(
      (t) => `${t.key}=${t.tolerationSeconds}`,
    );
    expect(keys).toEqual([
      "node.kubernetes.io/not-ready=300",
      "node.kubernetes.io/unreachable=300",
    ]);
    const critical = await cluster.kubectl([
      "run",
      "crit",
      "--image",
      "busybox",
      "--overrides",
      '{"spec":{"priorityClassName":"system-cluster-critical"}}',
    ]);
    expect(critical.code).toBe(0);
    const unknown = await cluster.kubectl([
      "run",
      "nope",
      "--image",
      "busybox",
      "--overrides",
      '{"spec":{"priorityClassName":"missing"}}',
    ]);
    expect(unknown.stderr).toContain("no PriorityClass with name missing was found");
  });

  test("the system namespaces cannot be deleted", async () => {
    const result = await cluster.kubectl(["delete", "namespace", "kube-system"]);
    expect(result.stderr).toContain("this namespace may not be deleted");
  });
});

describe("nodes", () => {
  test("a node reads what its pods use and writes only itself", async () => {
    await cluster.ok(["create", "secret", "generic", "for-a", "--from-literal=k=a"]);
    await cluster.ok(["create", "secret", "generic", "for-b", "--from-literal=k=b"]);
    for (const [node, secret] of [
      ["node-a", "for-a"],
      ["node-b", "for-b"],
    ] as const) {
      await cluster.ok(["apply", "-f", "-"], {
        input: JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: node } }),
      });
      await cluster.ok(["apply", "-f", "-"], {
        input: JSON.stringify({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: `pod-on-${node}` },
          spec: {
            nodeName: node,
            containers: [{ name: "c", image: "busybox" }],
            volumes: [{ name: "s", secret: { secretName: secret } }],
          },
        }),
      });
    }
    const nodeA = await certificateKubeconfig(cluster, "system:node:node-a", ["system:nodes"]);
    const env = { KUBECONFIG: nodeA.path };
    await cluster.ok(["get", "secret", "for-a"], { env });
    const other = await cluster.kubectl(["get", "secret", "for-b"], { env });
    expect(other.stderr).toContain("no relationship found between node 'node-a' and this object");
    expect((await cluster.kubectl(["get", "secrets"], { env })).code).not.toBe(0);
    await cluster.ok(["get", "pod", "pod-on-node-a"], { env });
    expect((await cluster.kubectl(["get", "pod", "pod-on-node-b"], { env })).code).not.toBe(0);
    await cluster.ok(["get", "pods", "--field-selector", "spec.nodeName=node-a"], { env });

    await cluster.ok(["label", "node", "node-a", "role=worker"], { env });
    const foreign = await cluster.kubectl(["label", "node", "node-b", "role=worker"], { env });
    expect(foreign.code).not.toBe(0);
    expect(foreign.stderr).toContain("forbidden");
    const restricted = await cluster.kubectl(
      ["label", "node", "node-a", "node-restriction.kubernetes.io/pool=x"],
      { env },
    );
    expect(restricted.code).not.toBe(0);
    expect(restricted.stderr).toContain("node-restriction.kubernetes.io/pool");
  });
});
