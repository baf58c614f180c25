/**
 * Service endpoints end to end on the server's own node agent, with real kubectl:
 * pods created directly with a Service's labels appear in its Endpoints and
 * EndpointSlice with their IP and the named container port; a pod that is not ready
 * is listed as not ready until its readiness probe passes (a file touched with
 * `kubectl exec`); a deleted pod is removed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { networkInterfaces } from "node:os";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { until } from "../support/until.ts";

interface Address {
  ip: string;
  nodeName?: string;
  targetRef?: { kind: string; name: string };
}

interface EndpointsJson {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  subsets?: {
    addresses?: Address[];
    notReadyAddresses?: Address[];
    ports?: { name?: string; port: number; protocol: string }[];
  }[];
}

interface SliceJson {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string }[];
  };
  addressType: string;
  ports?: { name: string; port: number; protocol: string }[];
  endpoints?: {
    addresses: string[];
    conditions: { ready: boolean; serving: boolean; terminating: boolean };
    nodeName?: string;
    targetRef?: { name: string };
  }[];
}

let cluster: TestCluster;
let podIP = "";

function pod(name: string, readinessProbe?: unknown) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { app: "web" } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: "main",
          image: "busybox",
          command: ["sh", "-c", "sleep 3600"],
          ports: [{ name: "http", containerPort: 8080 }],
          ...(readinessProbe ? { readinessProbe } : {}),
        },
      ],
    },
  };
}

const service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default", labels: { tier: "front" } },
  spec: { selector: { app: "web" }, ports: [{ name: "web", port: 80, targetPort: "http" }] },
};

async function endpoints(): Promise<EndpointsJson> {
  return JSON.parse(await cluster.ok(["get", "endpoints", "web", "-o", "json"])) as EndpointsJson;
}

async function slices(): Promise<SliceJson[]> {
  const list = JSON.parse(
    await cluster.ok([
      "get",
      "endpointslices",
      "-l",
      "kubernetes.io/service-name=web",
      "-o",
      "json",
    ]),
  ) as { items: SliceJson[] };
  return list.items;
}

const names = (addresses: Address[] | undefined) =>
  (addresses ?? []).map((a) => a.targetRef?.name ?? "").sort();

/** Ready and not-ready pod names, from the Endpoints and from the slices. */
async function published() {
  const ep = await endpoints();
  const subset = ep.subsets?.[0];
  const sliceEndpoints = (await slices()).flatMap((s) => s.endpoints ?? []);
  return {
    endpointsReady: names(subset?.addresses),
    endpointsNotReady: names(subset?.notReadyAddresses),
    slicesReady: sliceEndpoints
      .filter((e) => e.conditions.ready)
      .map((e) => e.targetRef?.name ?? "")
      .sort(),
    slicesNotReady: sliceEndpoints
      .filter((e) => !e.conditions.ready)
      .map((e) => e.targetRef?.name ?? "")
      .sort(),
  };
}

/**
 * The node's pods get the node's IP, and Endpoints may not hold a loopback address:
 * the server is advertised (and its node addressed) on the host's own IPv4 address.
 */
function hostIPv4(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address;
    }
  }
  throw new Error("these tests need a non-loopback IPv4 address on the host");
}

beforeAll(async () => {
  cluster = await startCluster({ agent: true, args: ["--advertise-address", hostIPv4()] });
  await until("the node to be Ready", async () => {
    const out = await cluster.ok(["get", "nodes", "--no-headers"]);
    return / Ready /.test(out) ? out : undefined;
  });
  await cluster.ok(["apply", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [
        service,
        pod("web-a"),
        pod("web-b", {
          exec: { command: ["sh", "-c", "test -f /tmp/ready"] },
          periodSeconds: 1,
        }),
      ],
    }),
  });
  await cluster.ok(["wait", "--for=condition=Ready", "pod/web-a", "--timeout=60s"]);
  podIP = (await cluster.ok(["get", "pod", "web-a", "-o", "jsonpath={.status.podIP}"])).trim();
}, 90_000);

afterAll(async () => {
  if (cluster) {
    // Running pods keep their volumes mounted under the data directory.
    await cluster.kubectl(["delete", "pods", "--all", "--wait=true"]);
  }
  await cluster?.stop();
}, 60_000);

describe("Service endpoints", () => {
  test("the Endpoints list the selected pods' IPs and resolved ports", async () => {
    expect(podIP).not.toBe("");
    const state = await until("both pods in the Endpoints", async () => {
      const now = await published();
      return now.endpointsReady.length + now.endpointsNotReady.length === 2 ? now : undefined;
    });
    expect(state.endpointsReady).toEqual(["web-a"]);
    expect(state.endpointsNotReady).toEqual(["web-b"]);
    const ep = await endpoints();
    expect(ep.metadata.labels).toEqual({
      tier: "front",
      "endpoints.kubernetes.io/managed-by": "endpoint-controller",
    });
    expect(
      ep.metadata.annotations?.["endpoints.kubernetes.io/last-change-trigger-time"],
    ).toBeDefined();
    expect(ep.subsets?.[0]?.ports).toEqual([{ name: "web", port: 8080, protocol: "TCP" }]);
    expect(ep.subsets?.[0]?.addresses?.[0]).toMatchObject({
      ip: podIP,
      targetRef: { kind: "Pod" },
    });
    const table = await cluster.ok(["get", "endpoints", "web", "--no-headers"]);
    expect(table).toContain(`${podIP}:8080`);
  }, 60_000);

  test("the EndpointSlice holds one endpoint per pod with its conditions", async () => {
    const [slice, ...others] = await slices();
    expect(others).toEqual([]);
    expect(slice?.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice?.metadata.labels).toEqual({
      tier: "front",
      "kubernetes.io/service-name": "web",
      "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    });
    expect(slice?.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Service", name: "web" });
    expect(slice?.addressType).toBe("IPv4");
    expect(slice?.ports).toEqual([{ name: "web", port: 8080, protocol: "TCP" }]);
    const byName = Object.fromEntries((slice?.endpoints ?? []).map((e) => [e.targetRef?.name, e]));
    expect(byName["web-a"]?.addresses).toEqual([podIP]);
    expect(byName["web-a"]?.conditions).toEqual({ ready: true, serving: true, terminating: false });
    expect(byName["web-b"]?.conditions).toEqual({
      ready: false,
      serving: false,
      terminating: false,
    });
    const table = await cluster.ok(["get", "endpointslices", "--no-headers"]);
    expect(table).toMatch(new RegExp(`^${slice?.metadata.name}\\s+IPv4\\s+8080\\s+${podIP}`, "m"));
  });

  test("a pod turning ready moves to the ready addresses", async () => {
    await cluster.ok(["exec", "web-b", "--", "touch", "/tmp/ready"]);
    const state = await until("web-b to be published as ready", async () => {
      const now = await published();
      return now.endpointsReady.length === 2 && now.slicesReady.length === 2 ? now : undefined;
    });
    expect(state.endpointsNotReady).toEqual([]);
    expect(state.slicesNotReady).toEqual([]);
  }, 60_000);

  test("the API server's own kubernetes Endpoints (no selector) are left alone", async () => {
    const own = JSON.parse(
      await cluster.ok(["get", "endpoints", "kubernetes", "-o", "json"]),
    ) as EndpointsJson;
    expect(own.metadata.labels?.["endpoints.kubernetes.io/managed-by"]).toBeUndefined();
    expect(own.subsets?.[0]?.addresses?.map((a) => a.ip)).toEqual([podIP]);
    expect(own.subsets?.[0]?.addresses?.[0]?.targetRef).toBeUndefined();
  });

  test("a deleted pod is removed", async () => {
    await cluster.ok(["delete", "pod", "web-a", "--wait=false"]);
    const state = await until("web-a to be gone from Endpoints and slices", async () => {
      const now = await published();
      const everywhere = [...now.endpointsReady, ...now.endpointsNotReady, ...now.slicesReady];
      return everywhere.includes("web-a") || now.slicesNotReady.includes("web-a") ? undefined : now;
    });
    expect(state.endpointsReady).toEqual(["web-b"]);
    expect(state.slicesReady).toEqual(["web-b"]);
  }, 60_000);
});
