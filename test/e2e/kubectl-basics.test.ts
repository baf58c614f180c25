import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { kubectlBinaries, startCluster, type TestCluster } from "../support/cluster.ts";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster.stop());

const manifest = (ns: string) => `apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${ns}
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ${ns}}
data: {mode: fast}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: ${ns}}
stringData: {password: hunter2}
`;

const versions = [
  ["dispatcher", kubectlBinaries.dispatcher],
  ["1.27", kubectlBinaries.v127],
  ["1.33", kubectlBinaries.v133],
] as const;

describe.each(versions)("kubectl %s against kubun", (label, binary) => {
  const ns = `e2e-${label.replace(".", "")}`;
  const run = (args: string[], input?: string) =>
    cluster.ok(args, { binary, ...(input ? { input } : {}) });

  test("lists the namespaces a new cluster starts with", async () => {
    const out = await run(["get", "namespaces"]);
    for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
      expect(out).toMatch(new RegExp(`^${name}\\s+Active`, "m"));
    }
  });

  test("applies a multi-document manifest, then reports it unchanged", async () => {
    const first = await run(["apply", "--validate=false", "-f", "-"], manifest(ns));
    expect(first).toContain(`namespace/${ns} created`);
    expect(first).toContain("deployment.apps/web created");
    expect(first).toContain("service/web created");
    const again = await run(["apply", "--validate=false", "-f", "-"], manifest(ns));
    expect(again).toContain("deployment.apps/web unchanged");
    expect(again).toContain("configmap/settings unchanged");
  });

  test("gets objects as tables, wide tables, JSON, jsonpath and names", async () => {
    const table = await run(["get", "deploy,svc,cm,secret", "-n", ns]);
    expect(table).toMatch(/deployment\.apps\/web\s+0\/2/);
    expect(table).toMatch(/service\/web\s+ClusterIP\s+10\.43\.\d+\.\d+\s+<none>\s+80\/TCP/);
    expect(table).toMatch(/secret\/creds\s+Opaque\s+1/);
    const wide = await run(["get", "deploy", "web", "-n", ns, "-o", "wide"]);
    expect(wide).toMatch(/CONTAINERS\s+IMAGES\s+SELECTOR/);
    expect(wide).toContain("nginx:1.25");
    const yaml = await run(["get", "cm", "settings", "-n", ns, "-o", "yaml"]);
    expect(yaml).toMatch(/^kind: ConfigMap$/m);
    expect(yaml).toMatch(/^ {2}mode: fast$/m);
    const json = JSON.parse(await run(["get", "cm", "settings", "-n", ns, "-o", "json"]));
    expect(json.data).toEqual({ mode: "fast" });
    expect(Number(json.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(await run(["get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}"])).toBe(
      "2",
    );
    // Every namespace also holds the cluster's kube-root-ca.crt.
    expect(
      (
        await run([
          "get",
          "cm",
          "-n",
          ns,
          "--field-selector",
          "metadata.name!=kube-root-ca.crt",
          "-o",
          "name",
        ])
      ).trim(),
    ).toBe("configmap/settings");
  });

  test("scales, sets images, labels and patches with all three patch types", async () => {
    await run(["scale", "deploy/web", "-n", ns, "--replicas=3"]);
    await run(["set", "image", "deploy/web", "-n", ns, "web=nginx:1.26"]);
    await run(["label", "deploy", "web", "-n", ns, "tier=front"]);
    await run([
      "patch",
      "deploy",
      "web",
      "-n",
      ns,
      "--type",
      "merge",
      "-p",
      '{"spec":{"minReadySeconds":5}}',
    ]);
    await run([
      "patch",
      "deploy",
      "web",
      "-n",
      ns,
      "--type",
      "json",
      "-p",
      '[{"op":"replace","path":"/spec/replicas","value":4}]',
    ]);
    await run([
      "patch",
      "deploy",
      "web",
      "-n",
      ns,
      "-p",
      '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"A","value":"1"}]}]}}}}',
    ]);
    const deployment = JSON.parse(await run(["get", "deploy", "web", "-n", ns, "-o", "json"]));
    expect(deployment.spec.replicas).toBe(4);
    expect(deployment.spec.minReadySeconds).toBe(5);
    expect(deployment.metadata.labels).toEqual({ app: "web", tier: "front" });
    const container = deployment.spec.template.spec.containers[0];
    expect(container.image).toBe("nginx:1.26");
    expect(container.env).toEqual([{ name: "A", value: "1" }]);
    expect(container.ports).toEqual([{ containerPort: 80, protocol: "TCP" }]);
    expect(deployment.metadata.generation).toBeGreaterThan(1);
  });

  test("creates with the create generators (protobuf bodies on 1.33)", async () => {
    await run(["create", "configmap", "gen", "-n", ns, "--from-literal=k=v"]);
    await run(["create", "secret", "generic", "gen", "-n", ns, "--from-literal=k=v"]);
    await run(["create", "deployment", "gen", "-n", ns, "--image=busybox", "--replicas=2"]);
    await run(["create", "service", "nodeport", "gen", "-n", ns, "--tcp=80:8080"]);
    const svc = JSON.parse(await run(["get", "svc", "gen", "-n", ns, "-o", "json"]));
    expect(svc.spec.type).toBe("NodePort");
    expect(svc.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(svc.spec.ports[0].nodePort).toBeLessThanOrEqual(32767);
  });

  test("answers mistakes with the upstream errors", async () => {
    const missing = await cluster.kubectl(["get", "cm", "nope", "-n", ns], { binary });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('configmaps "nope" not found');
    const exists = await cluster.kubectl(["create", "configmap", "gen", "-n", ns], { binary });
    expect(exists.stderr).toContain('configmaps "gen" already exists');
    const invalid = await cluster.kubectl(["create", "configmap", "Bad_Name", "-n", ns], {
      binary,
    });
    expect(invalid.stderr).toContain('Invalid value: "Bad_Name"');
    const noNamespace = await cluster.kubectl(["create", "configmap", "x", "-n", "no-such-ns"], {
      binary,
    });
    expect(noNamespace.stderr).toContain('namespaces "no-such-ns" not found');
  });

  test("describes, annotates, sets env and resources, applies a modified file", async () => {
    const described = await run(["describe", "deploy", "web", "-n", ns]);
    expect(described).toMatch(/^Name:\s+web$/m);
    expect(described).toMatch(/^Selector:\s+app=web$/m);
    await run(["annotate", "deploy", "web", "-n", ns, "note=hello"]);
    await run(["set", "env", "deploy/web", "-n", ns, "MODE=fast"]);
    await run(["set", "resources", "deploy/web", "-n", ns, "--limits=cpu=500m,memory=128Mi"]);
    const deployment = JSON.parse(await run(["get", "deploy", "web", "-n", ns, "-o", "json"]));
    expect(deployment.metadata.annotations.note).toBe("hello");
    const container = deployment.spec.template.spec.containers[0];
    expect(container.env).toContainEqual({ name: "MODE", value: "fast" });
    expect(container.resources.limits).toEqual({ cpu: "500m", memory: "128Mi" });
    const modified = manifest(ns).replace("mode: fast", "mode: slow");
    expect(await run(["apply", "--validate=false", "-f", "-"], modified)).toContain(
      "configmap/settings configured",
    );
    expect(await run(["get", "cm", "settings", "-n", ns, "-o", "jsonpath={.data.mode}"])).toBe(
      "slow",
    );
  });

  test("deletes by name and by label", async () => {
    await run(["delete", "cm", "gen", "-n", ns]);
    await run(["label", "cm", "settings", "-n", ns, "drop=yes"]);
    await run(["delete", "cm", "-l", "drop=yes", "-n", ns]);
    expect(
      (await run(["get", "cm", "settings", "-n", ns, "--ignore-not-found", "-o", "name"])).trim(),
    ).toBe("");
    await run(["delete", "secret", "--all", "-n", ns]);
    expect((await run(["get", "secret", "-n", ns, "-o", "name"])).trim()).toBe("");
  });
});

describe("watch", () => {
  test("kubectl get -w shows objects as they are added and changed", async () => {
    await cluster.ok(["create", "configmap", "already-there"]);
    const child = Bun.spawn(
      [kubectlBinaries.v133, "get", "configmaps", "-w", "-n", "default", "--output-watch-events"],
      {
        env: { ...process.env, KUBECONFIG: cluster.kubeconfig, HOME: cluster.dataDir },
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const decoder = new TextDecoder();
    let seen = "";
    const reader = child.stdout.getReader();
    const waitFor = async (pattern: RegExp) => {
      while (!pattern.test(seen)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`watch ended before ${pattern}: ${seen}`);
        seen += decoder.decode(value);
      }
    };
    // The initial list arrives first: from then on the watch is live.
    await waitFor(/ADDED\s+already-there/);
    await cluster.ok(["create", "configmap", "watched", "--from-literal=a=1"]);
    await waitFor(/ADDED\s+watched/);
    await cluster.ok(["label", "configmap", "watched", "x=y"]);
    await waitFor(/MODIFIED\s+watched/);
    await cluster.ok(["delete", "configmap", "watched"]);
    await waitFor(/DELETED\s+watched/);
    child.kill();
    await child.exited;
  });
});

describe.each(versions)("kubectl %s create generators", (label, binary) => {
  const ns = `gen-${label.replace(".", "")}`;
  const run = (args: string[]) => cluster.ok(args, { binary });

  test("every generator creates its object", async () => {
    const dir = cluster.dataDir;
    await Bun.write(`${dir}/file.txt`, "hello\n");
    const openssl = Bun.spawnSync([
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${dir}/tls.key`,
      "-out",
      `${dir}/tls.crt`,
      "-subj",
      "/CN=x",
      "-days",
      "1",
    ]);
    expect(openssl.exitCode).toBe(0);
    await run(["create", "namespace", ns]);
    const generators: [string[], string][] = [
      [["deployment", "d1", "--image=busybox"], "deployment.apps/d1 created"],
      [["job", "j1", "--image=busybox"], "job.batch/j1 created"],
      [
        ["cronjob", "cj1", "--image=busybox", "--schedule=*/5 * * * *"],
        "cronjob.batch/cj1 created",
      ],
      [["configmap", "cl", "--from-literal=a=b"], "configmap/cl created"],
      [["configmap", "cf", `--from-file=${dir}/file.txt`], "configmap/cf created"],
      [["secret", "generic", "sg", "--from-literal=k=v"], "secret/sg created"],
      [
        ["secret", "tls", "st", `--cert=${dir}/tls.crt`, `--key=${dir}/tls.key`],
        "secret/st created",
      ],
      [
        [
          "secret",
          "docker-registry",
          "sd",
          "--docker-server=r.io",
          "--docker-username=u",
          "--docker-password=p",
        ],
        "secret/sd created",
      ],
      [["service", "clusterip", "sc", "--tcp=80:80"], "service/sc created"],
      [["service", "nodeport", "sn", "--tcp=80:80"], "service/sn created"],
      [["service", "loadbalancer", "slb", "--tcp=80:80"], "service/slb created"],
      [["service", "externalname", "sx", "--external-name=example.com"], "service/sx created"],
      [["serviceaccount", "sa1"], "serviceaccount/sa1 created"],
      [
        ["role", "r1", "--verb=get", "--resource=pods"],
        "role.rbac.authorization.k8s.io/r1 created",
      ],
      [
        ["rolebinding", "rb1", "--role=r1", "--user=bob"],
        "rolebinding.rbac.authorization.k8s.io/rb1 created",
      ],
      [["quota", "q1", "--hard=pods=10"], "resourcequota/q1 created"],
      [
        ["poddisruptionbudget", "pdb1", "--selector=app=x", "--min-available=1"],
        "poddisruptionbudget.policy/pdb1 created",
      ],
      [
        ["ingress", "ing1", "--rule=foo.com/bar=svc1:8080"],
        "ingress.networking.k8s.io/ing1 created",
      ],
    ];
    for (const [args, expected] of generators) {
      expect(await run(["create", ...args, "-n", ns])).toContain(expected);
    }
    const suffix = label.replace(".", "");
    expect(
      await run(["create", "clusterrole", `cr-${suffix}`, "--verb=get", "--resource=pods"]),
    ).toContain("created");
    expect(
      await run([
        "create",
        "clusterrolebinding",
        `crb-${suffix}`,
        `--clusterrole=cr-${suffix}`,
        "--user=bob",
      ]),
    ).toContain("created");
    expect(await run(["create", "priorityclass", `pc-${suffix}`, "--value=1000"])).toContain(
      "created",
    );
    const tls = JSON.parse(await run(["get", "secret", "st", "-n", ns, "-o", "json"]));
    expect(tls.type).toBe("kubernetes.io/tls");
    const file = JSON.parse(await run(["get", "configmap", "cf", "-n", ns, "-o", "json"]));
    expect(file.data["file.txt"]).toBe("hello\n");
  });
});

describe.each(versions)("kubectl %s output forms and discovery", (label, binary) => {
  const forms = `forms-${label.replace(".", "")}`;
  const ok = (args: string[], options: { input?: string } = {}): Promise<string> =>
    cluster.ok(args, { binary, ...options });
  test("custom columns, sort-by, all namespaces, field and label selectors", async () => {
    await ok(["create", "namespace", forms]);
    const sizes: [string, string][] = [
      ["b", "2"],
      ["a", "3"],
      ["c", "1"],
    ];
    for (const [name, size] of sizes) {
      await ok(["create", "configmap", name, "-n", forms, `--from-literal=size=${size}`]);
      await ok(["label", "configmap", name, "-n", forms, `size=${size}`]);
    }
    const columns = await ok([
      "get",
      "cm",
      "-n",
      forms,
      "-l",
      "size",
      "-o",
      "custom-columns=NAME:.metadata.name,SIZE:.data.size",
      "--sort-by=.data.size",
    ]);
    expect(
      columns
        .trim()
        .split("\n")
        .map((l) => l.split(/\s+/)),
    ).toEqual([
      ["NAME", "SIZE"],
      ["c", "1"],
      ["b", "2"],
      ["a", "3"],
    ]);
    const all = await ok(["get", "cm", "-A", "--field-selector", "metadata.name=a"]);
    expect(all).toMatch(new RegExp(`^${forms}\\s+a\\s+1`, "m"));
    const labels = await ok(["get", "cm", "-n", forms, "--show-labels", "-l", "size in (1,2)"]);
    expect(labels).toMatch(/^b\s.*size=2$/m);
    expect(labels).not.toMatch(/^a\s/m);
  });

  test("api-versions, api-resources, explain and get --raw", async () => {
    const versions = await ok(["api-versions"]);
    for (const v of [
      "v1",
      "apps/v1",
      "batch/v1",
      "networking.k8s.io/v1",
      "rbac.authorization.k8s.io/v1",
    ]) {
      expect(versions.split("\n")).toContain(v);
    }
    const resources = await ok(["api-resources"]);
    expect(resources).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/m);
    const explained = await ok(["explain", "pod.spec.containers"]);
    expect(explained).toContain("KIND:");
    expect(explained).toMatch(/image\s+<string>/);
    const raw = JSON.parse(await ok(["get", "--raw", "/api/v1/namespaces/default"]));
    expect(raw.metadata.name).toBe("default");
  });

  test("apply --server-side, diff and wait --for=delete", async () => {
    const manifest = (replicas: number) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ssa-${label.replace(".", "")}, namespace: default}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: ssa}}\n  template:\n    metadata: {labels: {app: ssa}}\n    spec:\n      containers: [{name: c, image: busybox}]\n`;
    expect(await ok(["apply", "--server-side", "-f", "-"], { input: manifest(1) })).toContain(
      `deployment.apps/ssa-${label.replace(".", "")} serverside-applied`,
    );
    const managed = JSON.parse(
      await ok([
        "get",
        "deploy",
        `ssa-${label.replace(".", "")}`,
        "-o",
        "json",
        "--show-managed-fields",
      ]),
    );
    expect(managed.metadata.managedFields[0].manager).toBe("kubectl");
    const diff = await cluster.kubectl(["diff", "-f", "-"], { binary, input: manifest(3) });
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain("+  replicas: 3");
    await ok(["delete", "deploy", `ssa-${label.replace(".", "")}`, "--wait=false"]);
    await ok(["wait", "--for=delete", `deploy/ssa-${label.replace(".", "")}`, "--timeout=30s"]);
  });
});
