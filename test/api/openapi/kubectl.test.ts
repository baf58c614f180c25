/**
 * The real kubectl against the discovery and OpenAPI documents, served on
 * loopback by document-server.ts: kubectl 1.33 reads aggregated discovery v2
 * and OpenAPI v3, kubectl 1.27 aggregated discovery v2beta1 and the OpenAPI v2
 * protobuf, so both encodings are exercised. Skipped when the versioned
 * binaries are not installed next to the kubectl on PATH.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fixtureKinds } from "../discovery/fixture-kinds.ts";
import { type DocumentServer, startDocumentServer } from "./document-server.ts";

const onPath = Bun.which("kubectl");
const binaries = ["kubectl.1.33", "kubectl.1.27"].map((name) => ({
  name,
  path: onPath ? join(dirname(realpathSync(onPath)), name) : "",
}));
const installed = binaries.filter((b) => b.path && existsSync(b.path));

const deploymentManifest = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: default
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
        image: nginx
        resources:
          limits: {cpu: 100m, memory: 128Mi}
`;

/** What `kubectl apply` recorded last time: two containers, one of which the manifest drops. */
const lastApplied = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [
          { name: "web", image: "nginx:1" },
          { name: "sidecar", image: "busybox" },
        ],
      },
    },
  },
};
const existingPath = "/apis/apps/v1/namespaces/default/deployments/web";

let server: DocumentServer;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "kubun-kubectl-"));
  writeFileSync(join(work, "kubeconfig"), "apiVersion: v1\nkind: Config\n");
  writeFileSync(join(work, "deployment.yaml"), deploymentManifest("web"));
  // Not served, so apply creates it.
  writeFileSync(join(work, "new-deployment.yaml"), deploymentManifest("api"));
  server = startDocumentServer(fixtureKinds, {
    [existingPath]: {
      ...lastApplied,
      metadata: {
        ...lastApplied.metadata,
        uid: "5b8e9d4e-0000-4000-8000-000000000001",
        resourceVersion: "7",
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(lastApplied),
        },
      },
    },
  });
});

afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function kubectl(binary: string, ...args: string[]) {
  // A fresh cache directory per run: kubectl caches discovery and OpenAPI by server URL.
  const cache = mkdtempSync(join(work, "cache-"));
  const child = Bun.spawn([binary, "--server", server.url, "--cache-dir", cache, ...args], {
    env: { ...process.env, KUBECONFIG: join(work, "kubeconfig") },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, exitCode };
}

describe.skipIf(installed.length === 0)("kubectl against the served documents", () => {
  for (const { name, path } of installed) {
    test(`${name} api-resources lists resources from aggregated discovery`, async () => {
      server.requests.length = 0;
      const result = await kubectl(path, "api-resources");
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      const rows = result.stdout.split("\n").map((line) => line.trim().split(/\s+/));
      expect(rows).toContainEqual(["pods", "po", "v1", "true", "Pod"]);
      expect(rows).toContainEqual(["deployments", "deploy", "apps/v1", "true", "Deployment"]);
      expect(rows).toContainEqual(["namespaces", "ns", "v1", "false", "Namespace"]);
      expect(rows).toContainEqual([
        "horizontalpodautoscalers",
        "hpa",
        "autoscaling/v2",
        "true",
        "HorizontalPodAutoscaler",
      ]);
      const discovery = server.requests.find((r) => r.url.startsWith("/apis?"));
      expect(discovery?.accept).toContain("g=apidiscovery.k8s.io");
      // Aggregated discovery answered everything: no per-group-version requests.
      expect(server.requests.map((r) => r.url.split("?")[0])).not.toContain("/apis/apps/v1");
    });

    test(`${name} explain pod.spec.containers walks the OpenAPI schema`, async () => {
      const result = await kubectl(path, "explain", "pod.spec.containers");
      expect(result.stderr).toBe("");
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain("KIND:       Pod");
      expect(result.stdout).toContain("FIELD: containers <[]Container>");
      expect(result.stdout).toMatch(/\n {2}name\t<string> -required-\n/);
      expect(result.stdout).toMatch(/\n {2}resources\t<ResourceRequirements>\n/);
    });

    test(`${name} apply --dry-run=client validates and reports the deployment`, async () => {
      const result = await kubectl(
        path,
        "apply",
        "--dry-run=client",
        "-f",
        join(work, "new-deployment.yaml"),
      );
      expect(result.stderr).toBe("");
      expect(result.stdout.trim()).toBe("deployment.apps/api created (dry run)");
    });

    test(`${name} apply computes its strategic merge patch from the served OpenAPI`, async () => {
      server.requests.length = 0;
      const result = await kubectl(
        path,
        "apply",
        "--dry-run=server",
        "-f",
        join(work, "deployment.yaml"),
      );
      // A schema kubectl cannot use shows up as "warning: error calculating patch".
      expect(result.stderr).toBe("");
      expect(result.stdout.trim()).toBe("deployment.apps/web configured (server dry run)");
      const patch = server.requests.find(
        (r) => r.method === "PATCH" && r.url.startsWith(existingPath),
      );
      expect(patch?.contentType).toBe("application/strategic-merge-patch+json");
      expect(JSON.parse(patch?.body ?? "{}").spec.template.spec).toEqual({
        // Containers merge by name: the kept one is patched, the dropped one deleted.
        "$setElementOrder/containers": [{ name: "web" }],
        containers: [
          {
            name: "web",
            image: "nginx",
            resources: { limits: { cpu: "100m", memory: "128Mi" } },
          },
          { $patch: "delete", name: "sidecar" },
        ],
      });
    });
  }

  test.skipIf(!onPath)(
    "the kubectl dispatcher on PATH picks its binary from /version",
    async () => {
      server.requests.length = 0;
      const result = await kubectl(onPath as string, "api-resources", "--api-group=apps");
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain("deployments");
      expect(server.requests[0]?.url).toStartWith("/version");
    },
  );

  test("apply reads OpenAPI v3 (1.33) and the OpenAPI v2 protobuf (1.27)", async () => {
    const byBinary = new Map<string, string[]>();
    for (const { name, path } of installed) {
      server.requests.length = 0;
      await kubectl(path, "apply", "--dry-run=client", "-f", join(work, "new-deployment.yaml"));
      byBinary.set(
        name,
        server.requests.map((r) => `${r.url.split("?")[0]} ${r.accept.split(",")[0]}`),
      );
    }
    const v133 = byBinary.get("kubectl.1.33");
    if (v133) expect(v133).toContain("/openapi/v3/apis/apps/v1 application/json");
    const v127 = byBinary.get("kubectl.1.27");
    if (v127) {
      expect(v127).toContain(
        "/openapi/v2 application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
      );
    }
  });
});
