import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startCluster, type TestCluster } from "../support/cluster.ts";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster.stop());

async function ownerAndDependent(name: string): Promise<void> {
  await cluster.ok(["create", "configmap", name]);
  const uid = (
    await cluster.ok(["get", "configmap", name, "-o", "jsonpath={.metadata.uid}"])
  ).trim();
  await cluster.ok(["apply", "--validate=false", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: `${name}-child`,
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name, uid }],
      },
    }),
  });
}

describe("deletion", () => {
  test("background cascade removes dependents after their owner", async () => {
    await ownerAndDependent("bg");
    await cluster.ok(["delete", "configmap", "bg"]);
    await cluster.ok(["wait", "--for=delete", "configmap/bg-child", "--timeout=60s"]);
  });

  test("foreground cascade removes dependents before the owner", async () => {
    await ownerAndDependent("fg");
    await cluster.ok(["delete", "configmap", "fg", "--cascade=foreground"]);
    const left = await cluster.kubectl(["get", "configmap", "fg", "fg-child"]);
    expect(left.stderr).toContain('configmaps "fg" not found');
    expect(left.stderr).toContain('configmaps "fg-child" not found');
  });

  test("orphan cascade keeps dependents and drops their owner reference", async () => {
    await ownerAndDependent("or");
    await cluster.ok(["delete", "configmap", "or", "--cascade=orphan"]);
    const child = JSON.parse(await cluster.ok(["get", "configmap", "or-child", "-o", "json"]));
    expect(child.metadata.ownerReferences).toBeUndefined();
  });

  test("deleting a namespace deletes what is in it", async () => {
    await cluster.ok(["create", "namespace", "doomed"]);
    await cluster.ok(["create", "configmap", "inside", "-n", "doomed"]);
    await cluster.ok(["delete", "namespace", "doomed"]);
    const gone = await cluster.kubectl(["get", "namespace", "doomed"]);
    expect(gone.stderr).toContain('namespaces "doomed" not found');
    const rows = await cluster.db.connect({
      max: 1,
    })`select key from kubun_current where key like '%/doomed/%'`;
    expect(rows.length).toBe(0);
  });
});

describe("editing", () => {
  test("kubectl edit saves what the editor wrote", async () => {
    await cluster.ok(["create", "configmap", "edited", "--from-literal=a=1"]);
    const editor = join(cluster.dataDir, "editor.sh");
    await writeFile(editor, `#!/bin/sh\nsed -i 's/a: "1"/a: "2"/' "$1"\n`);
    await chmod(editor, 0o755);
    await cluster.ok(["edit", "configmap", "edited"], { env: { KUBE_EDITOR: editor } });
    expect(await cluster.ok(["get", "configmap", "edited", "-o", "jsonpath={.data.a}"])).toBe("2");
  });

  test("kubectl replace swaps the object and refuses a stale one", async () => {
    await cluster.ok(["create", "configmap", "replaced", "--from-literal=a=1"]);
    const current = JSON.parse(await cluster.ok(["get", "configmap", "replaced", "-o", "json"]));
    current.data.a = "2";
    await cluster.ok(["replace", "-f", "-"], { input: JSON.stringify(current) });
    current.data.a = "3";
    const stale = await cluster.kubectl(["replace", "-f", "-"], { input: JSON.stringify(current) });
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain("the object has been modified");
  });
});

describe("server-side behaviour users rely on", () => {
  test("a pod bound to a node is deleted gracefully; grace period 0 removes it", async () => {
    await cluster.ok(["apply", "--validate=false", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "bound" },
        spec: { nodeName: "node-a", containers: [{ name: "c", image: "busybox" }] },
      }),
    });
    await cluster.ok(["delete", "pod", "bound", "--wait=false"]);
    const pod = JSON.parse(await cluster.ok(["get", "pod", "bound", "-o", "json"]));
    expect(pod.metadata.deletionTimestamp).toBeTruthy();
    expect(pod.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(await cluster.ok(["get", "pod", "bound"])).toContain("Terminating");
    await cluster.ok(["delete", "pod", "bound", "--grace-period=0", "--force"]);
    expect((await cluster.kubectl(["get", "pod", "bound"])).stderr).toContain(
      'pods "bound" not found',
    );
  });

  test("a pod in its grace period outlives its last finalizer until the final delete", async () => {
    await cluster.ok(["apply", "--validate=false", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "held", finalizers: ["example.com/hold"] },
        spec: { nodeName: "node-a", containers: [{ name: "c", image: "busybox" }] },
      }),
    });
    await cluster.ok(["delete", "pod", "held", "--wait=false"]);
    await cluster.ok([
      "patch",
      "pod",
      "held",
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
    const pod = JSON.parse(await cluster.ok(["get", "pod", "held", "-o", "json"]));
    expect(pod.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(pod.metadata.finalizers).toBeUndefined();
    // The node agent's final delete shortens the grace period to 0 and removes it.
    await cluster.ok(["delete", "pod", "held", "--grace-period=0", "--force"]);
    expect((await cluster.kubectl(["get", "pod", "held"])).stderr).toContain(
      'pods "held" not found',
    );
  });

  test("an object without a grace period goes when its last finalizer does", async () => {
    await cluster.ok(["apply", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "held", finalizers: ["example.com/hold"] },
      }),
    });
    await cluster.ok(["delete", "configmap", "held", "--wait=false"]);
    const marked = JSON.parse(await cluster.ok(["get", "configmap", "held", "-o", "json"]));
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(0);
    await cluster.ok([
      "patch",
      "configmap",
      "held",
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
    expect((await cluster.kubectl(["get", "configmap", "held"])).stderr).toContain(
      'configmaps "held" not found',
    );
  });

  test("a pod nobody runs is deleted at once", async () => {
    await cluster.ok(["run", "unbound", "--image=busybox"]);
    await cluster.ok(["delete", "pod", "unbound", "--wait=false"]);
    expect((await cluster.kubectl(["get", "pod", "unbound"])).stderr).toContain(
      'pods "unbound" not found',
    );
  });

  test("a taken cluster IP is refused, and released when its Service goes", async () => {
    await cluster.ok([
      "create",
      "service",
      "clusterip",
      "first",
      "--tcp=80:80",
      "--clusterip=10.43.200.200",
    ]);
    const clash = await cluster.kubectl([
      "create",
      "service",
      "clusterip",
      "second",
      "--tcp=80:80",
      "--clusterip=10.43.200.200",
    ]);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain("provided IP is already allocated");
    await cluster.ok(["delete", "service", "first"]);
    await cluster.ok([
      "create",
      "service",
      "clusterip",
      "second",
      "--tcp=80:80",
      "--clusterip=10.43.200.200",
    ]);
    expect(await cluster.ok(["get", "svc", "second", "-o", "jsonpath={.spec.clusterIP}"])).toBe(
      "10.43.200.200",
    );
  });

  test("a server-side dry run stores nothing", async () => {
    const out = await cluster.ok([
      "create",
      "configmap",
      "dry",
      "--from-literal=a=b",
      "--dry-run=server",
      "-o",
      "json",
    ]);
    expect(JSON.parse(out).metadata.uid).toBeTruthy();
    expect((await cluster.kubectl(["get", "configmap", "dry"])).stderr).toContain(
      'configmaps "dry" not found',
    );
  });
});

describe("certificate signing requests", () => {
  test("kubectl certificate approve and deny write the conditions", async () => {
    const key = join(cluster.dataDir, "user.key");
    const csr = join(cluster.dataDir, "user.csr");
    const made = Bun.spawnSync([
      "openssl",
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      key,
      "-out",
      csr,
      "-subj",
      "/CN=alice/O=dev",
    ]);
    expect(made.exitCode).toBe(0);
    const request = Buffer.from(await Bun.file(csr).text()).toString("base64");
    for (const name of ["alice", "mallory"]) {
      await cluster.ok(["apply", "-f", "-"], {
        input: JSON.stringify({
          apiVersion: "certificates.k8s.io/v1",
          kind: "CertificateSigningRequest",
          metadata: { name },
          spec: {
            request,
            signerName: "kubernetes.io/kube-apiserver-client",
            usages: ["client auth"],
          },
        }),
      });
    }
    await cluster.ok(["certificate", "approve", "alice"]);
    await cluster.ok(["certificate", "deny", "mallory"]);
    const table = await cluster.ok(["get", "csr"]);
    expect(table).toMatch(/^alice\s.*Approved/m);
    expect(table).toMatch(/^mallory\s.*Denied/m);
    const alice = JSON.parse(await cluster.ok(["get", "csr", "alice", "-o", "json"]));
    expect(alice.status.conditions[0]).toMatchObject({ type: "Approved", status: "True" });
  });
});
