import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiClient } from "../../../src/client/api-client.ts";
import { loadKubeConfig } from "../../../src/client/kube-config.ts";
import { resourcePath } from "../../../src/client/resource-path.ts";
import { type EnvContainer, resolveEnvironment } from "../../../src/node-agent/env/environment.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { startCluster, type TestCluster } from "../../support/cluster.ts";

let cluster: TestCluster;
let client: ApiClient;
const namespace = "env-test";
let kubernetesIp = "";
let webIp = "";

const path = (resource: string, name?: string) =>
  resourcePath({ version: "v1", resource, namespace, ...(name ? { name } : {}) });
const b64 = (value: string) => Buffer.from(value).toString("base64");

beforeAll(async () => {
  cluster = await startCluster();
  client = new ApiClient(await loadKubeConfig(cluster.kubeconfig));
  await client.create(resourcePath({ version: "v1", resource: "namespaces" }), {
    metadata: { name: namespace },
  });
  await client.create(path("configmaps"), {
    metadata: { name: "app-config" },
    data: { LOG_LEVEL: "info", MODE: "fast", SHARED: "from-configmap", "dotted.key": "ok" },
  });
  await client.create(path("secrets"), {
    metadata: { name: "app-secret" },
    data: { PASSWORD: b64("s3cret"), SHARED: b64("from-secret") },
  });
  const web = await client.create<KubeObject>(path("services"), {
    metadata: { name: "web-front" },
    spec: {
      ports: [
        { name: "http", port: 80, targetPort: 8080 },
        { name: "dns-udp", port: 53, protocol: "UDP" },
      ],
    },
  });
  webIp = (web.spec as { clusterIP: string }).clusterIP;
  await client.create(path("services"), {
    metadata: { name: "headless" },
    spec: { clusterIP: "None", ports: [{ port: 5432 }] },
  });
  const kubernetes = await client.get<KubeObject>(
    resourcePath({ version: "v1", resource: "services", namespace: "default", name: "kubernetes" }),
  );
  kubernetesIp = (kubernetes.spec as { clusterIP: string }).clusterIP;
}, 90_000);
afterAll(() => cluster.stop());

function pod(container: EnvContainer, spec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: {
      name: "web-0",
      namespace,
      uid: "0b7c7b2e-1111-4a3c-9a6e-2d5f8c9b0a11",
      labels: { app: "web", tier: "front" },
    },
    spec: {
      nodeName: "node-a",
      serviceAccountName: "builder",
      containers: [{ name: "main", image: "busybox", ...container }],
      ...spec,
    },
  };
}

const options = () => ({
  client,
  hostIp: "192.168.1.10",
  podIp: "10.42.0.7",
  nodeAllocatable: { cpu: "4", memory: "8Gi", "ephemeral-storage": "100Gi" },
});

async function envOf(container: EnvContainer, spec: Record<string, unknown> = {}) {
  const p = pod(container, spec);
  const first = (p.spec as { containers: EnvContainer[] }).containers[0] as EnvContainer;
  return resolveEnvironment(p, first, options());
}

async function failure(container: EnvContainer): Promise<string> {
  try {
    await envOf(container);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the environment to fail");
}

describe("values and $(VAR) expansion", () => {
  test("refers to earlier variables, envFrom and services; later ones stay as written", async () => {
    const env = await envOf({
      envFrom: [{ configMapRef: { name: "app-config" } }],
      env: [
        { name: "A", value: "alpha" },
        { name: "B", value: "$(A)-$(MODE)-$(WEB_FRONT_SERVICE_PORT)-$(LATER)-$$(A)" },
        { name: "LATER", value: "late" },
        { name: "EMPTY", value: "" },
      ],
    });
    expect(env.B).toBe("alpha-fast-80-$(LATER)-$(A)");
    expect(env.LATER).toBe("late");
    expect(env.EMPTY).toBe("");
  });

  test("valueFrom values are not expanded", async () => {
    await client.create(path("configmaps"), {
      metadata: { name: "raw" },
      data: { TEMPLATE: "$(A)" },
    });
    const env = await envOf({
      env: [
        { name: "A", value: "x" },
        { name: "T", valueFrom: { configMapKeyRef: { name: "raw", key: "TEMPLATE" } } },
      ],
    });
    expect(env.T).toBe("$(A)");
  });
});

describe("precedence", () => {
  test("explicit env overrides envFrom, which overrides service variables; later envFrom wins", async () => {
    const env = await envOf({
      envFrom: [
        { configMapRef: { name: "app-config" } },
        { secretRef: { name: "app-secret" } },
        { secretRef: { name: "app-secret" }, prefix: "S_" },
        { configMapRef: { name: "app-config" }, prefix: "WEB_FRONT_" },
      ],
      env: [
        { name: "LOG_LEVEL", value: "debug" },
        { name: "WEB_FRONT_SERVICE_HOST", value: "overridden" },
      ],
    });
    expect(env.LOG_LEVEL).toBe("debug");
    expect(env.MODE).toBe("fast");
    expect(env["dotted.key"]).toBe("ok");
    expect(env.SHARED).toBe("from-secret");
    expect(env.PASSWORD).toBe("s3cret");
    expect(env.S_PASSWORD).toBe("s3cret");
    expect(env.WEB_FRONT_SERVICE_HOST).toBe("overridden");
    // envFrom (prefixed) shadows the service's own variable of the same name.
    expect(env.WEB_FRONT_MODE).toBe("fast");
    expect(env.WEB_FRONT_SERVICE_PORT).toBe("80");
    // Declared variables come first, in order; service variables after them.
    const keys = Object.keys(env);
    expect(keys.indexOf("LOG_LEVEL")).toBeLessThan(keys.indexOf("KUBERNETES_SERVICE_HOST"));
  });
});

describe("valueFrom sources", () => {
  test("configMapKeyRef and secretKeyRef", async () => {
    const env = await envOf({
      env: [
        { name: "LEVEL", valueFrom: { configMapKeyRef: { name: "app-config", key: "LOG_LEVEL" } } },
        { name: "PW", valueFrom: { secretKeyRef: { name: "app-secret", key: "PASSWORD" } } },
      ],
    });
    expect(env.LEVEL).toBe("info");
    expect(env.PW).toBe("s3cret");
  });

  test("optional missing sources and keys leave the variable out", async () => {
    const env = await envOf({
      envFrom: [
        { configMapRef: { name: "nope", optional: true } },
        { secretRef: { name: "nope", optional: true } },
      ],
      env: [
        { name: "K1", valueFrom: { configMapKeyRef: { name: "nope", key: "k", optional: true } } },
        {
          name: "K2",
          valueFrom: { configMapKeyRef: { name: "app-config", key: "k", optional: true } },
        },
        { name: "K3", valueFrom: { secretKeyRef: { name: "nope", key: "k", optional: true } } },
        {
          name: "K4",
          valueFrom: { secretKeyRef: { name: "app-secret", key: "k", optional: true } },
        },
      ],
    });
    for (const name of ["K1", "K2", "K3", "K4"]) expect(env).not.toHaveProperty(name);
  });

  test("missing keys and objects fail with the kubelet's messages", async () => {
    expect(
      await failure({
        env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "app-config", key: "k" } } }],
      }),
    ).toBe(`couldn't find key k in ConfigMap ${namespace}/app-config`);
    expect(
      await failure({
        env: [{ name: "X", valueFrom: { secretKeyRef: { name: "app-secret", key: "k" } } }],
      }),
    ).toBe(`couldn't find key k in Secret ${namespace}/app-secret`);
    expect(
      await failure({
        env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "gone", key: "k" } } }],
      }),
    ).toBe('configmap "gone" not found');
    expect(
      await failure({
        env: [{ name: "X", valueFrom: { secretKeyRef: { name: "gone", key: "k" } } }],
      }),
    ).toBe('secret "gone" not found');
    expect(await failure({ envFrom: [{ configMapRef: { name: "gone" } }] })).toBe(
      'configmap "gone" not found',
    );
    expect(await failure({ envFrom: [{ secretRef: { name: "gone" } }] })).toBe(
      'secret "gone" not found',
    );
  });

  test("fieldRef", async () => {
    const env = await envOf({
      env: [
        ["NAME", "metadata.name"],
        ["NS", "metadata.namespace"],
        ["UID", "metadata.uid"],
        ["NODE", "spec.nodeName"],
        ["SA", "spec.serviceAccountName"],
        ["HOST_IP", "status.hostIP"],
        ["HOST_IPS", "status.hostIPs"],
        ["POD_IP", "status.podIP"],
        ["POD_IPS", "status.podIPs"],
        ["APP", "metadata.labels['app']"],
        ["LABELS", "metadata.labels"],
      ].map(([name, fieldPath]) => ({ name: name ?? "", valueFrom: { fieldRef: { fieldPath } } })),
    });
    expect(env).toMatchObject({
      NAME: "web-0",
      NS: namespace,
      UID: "0b7c7b2e-1111-4a3c-9a6e-2d5f8c9b0a11",
      NODE: "node-a",
      SA: "builder",
      HOST_IP: "192.168.1.10",
      HOST_IPS: "192.168.1.10",
      POD_IP: "10.42.0.7",
      POD_IPS: "10.42.0.7",
      APP: "web",
      LABELS: 'app="web"\ntier="front"',
    });
  });

  test("resourceFieldRef: divisors round up; unset limits are the node's allocatable", async () => {
    const resource = (
      name: string,
      resource: string,
      divisor?: string,
      containerName?: string,
    ) => ({
      name,
      valueFrom: {
        resourceFieldRef: {
          resource,
          ...(divisor ? { divisor } : {}),
          ...(containerName ? { containerName } : {}),
        },
      },
    });
    const p = pod(
      {
        resources: { requests: { cpu: "250m", memory: "100Mi" }, limits: { memory: "1Gi" } },
        env: [
          resource("CPU_REQUEST", "requests.cpu"),
          resource("CPU_REQUEST_M", "requests.cpu", "1m"),
          resource("CPU_LIMIT", "limits.cpu"),
          resource("MEM_LIMIT_MI", "limits.memory", "1Mi"),
          resource("MEM_LIMIT_M", "limits.memory", "1M"),
          resource("MEM_REQUEST", "requests.memory"),
          resource("STORAGE_LIMIT_GI", "limits.ephemeral-storage", "1Gi"),
          resource("STORAGE_REQUEST", "requests.ephemeral-storage"),
          resource("SIDECAR_CPU", "limits.cpu", "1m", "sidecar"),
        ],
      },
      {},
    );
    const spec = p.spec as { containers: EnvContainer[] };
    spec.containers.push({ name: "sidecar", resources: { limits: { cpu: "1500m" } } });
    const env = await resolveEnvironment(p, spec.containers[0] as EnvContainer, options());
    expect(env).toMatchObject({
      CPU_REQUEST: "1",
      CPU_REQUEST_M: "250",
      CPU_LIMIT: "4",
      MEM_LIMIT_MI: "1024",
      MEM_LIMIT_M: "1074",
      MEM_REQUEST: String(100 * 1024 * 1024),
      STORAGE_LIMIT_GI: "100",
      STORAGE_REQUEST: "0",
      SIDECAR_CPU: "1500",
    });
  });
});

describe("service links", () => {
  test("every ClusterIP service of the namespace, docker-link style included", async () => {
    const env = await envOf({});
    expect(env).toMatchObject({
      WEB_FRONT_SERVICE_HOST: webIp,
      WEB_FRONT_SERVICE_PORT: "80",
      WEB_FRONT_SERVICE_PORT_HTTP: "80",
      WEB_FRONT_SERVICE_PORT_DNS_UDP: "53",
      WEB_FRONT_PORT: `tcp://${webIp}:80`,
      WEB_FRONT_PORT_80_TCP: `tcp://${webIp}:80`,
      WEB_FRONT_PORT_80_TCP_PROTO: "tcp",
      WEB_FRONT_PORT_80_TCP_PORT: "80",
      WEB_FRONT_PORT_80_TCP_ADDR: webIp,
      WEB_FRONT_PORT_53_UDP: `udp://${webIp}:53`,
      WEB_FRONT_PORT_53_UDP_PROTO: "udp",
      KUBERNETES_SERVICE_HOST: kubernetesIp,
      KUBERNETES_SERVICE_PORT: "443",
      KUBERNETES_SERVICE_PORT_HTTPS: "443",
      KUBERNETES_PORT: `tcp://${kubernetesIp}:443`,
    });
    expect(Object.keys(env).some((key) => key.startsWith("HEADLESS_"))).toBe(false);
  });

  test("enableServiceLinks: false keeps only the kubernetes service", async () => {
    const env = await envOf({}, { enableServiceLinks: false });
    expect(env.KUBERNETES_SERVICE_HOST).toBe(kubernetesIp);
    expect(env.KUBERNETES_SERVICE_PORT).toBe("443");
    expect(Object.keys(env).some((key) => key.startsWith("WEB_FRONT_"))).toBe(false);
  });

  test("services given by the caller (an informer's cache) are filtered by namespace", async () => {
    const all = await client.list(resourcePath({ version: "v1", resource: "services" }));
    const other: KubeObject = {
      metadata: { name: "elsewhere", namespace: "other" },
      spec: { clusterIP: "10.43.0.99", ports: [{ port: 1 }] },
    };
    const p = pod({});
    const container = (p.spec as { containers: EnvContainer[] }).containers[0] as EnvContainer;
    const env = await resolveEnvironment(p, container, {
      ...options(),
      services: [...all.items, other],
    });
    expect(env.WEB_FRONT_SERVICE_HOST).toBe(webIp);
    expect(env.KUBERNETES_SERVICE_HOST).toBe(kubernetesIp);
    expect(env).not.toHaveProperty("ELSEWHERE_SERVICE_HOST");
  });

  test("IPv6 cluster IPs are bracketed in URLs", async () => {
    const p = pod({});
    const container = (p.spec as { containers: EnvContainer[] }).containers[0] as EnvContainer;
    const env = await resolveEnvironment(p, container, {
      ...options(),
      services: [
        {
          metadata: { name: "v6", namespace },
          spec: { clusterIP: "fd00::10", ports: [{ port: 8080, protocol: "TCP" }] },
        },
      ],
    });
    expect(env.V6_PORT).toBe("tcp://[fd00::10]:8080");
    expect(env.V6_PORT_8080_TCP_ADDR).toBe("fd00::10");
    expect(env).not.toHaveProperty("KUBERNETES_SERVICE_HOST");
  });
});
