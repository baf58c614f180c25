import { describe, expect, test } from "bun:test";
import {
  conditionStates,
  type NodeCondition,
  pressureOf,
  runtimeLimitationsCondition,
  stampConditions,
} from "../../../src/node-agent/node/node-conditions.ts";
import type { NodeFacts } from "../../../src/node-agent/node/node-facts.ts";
import {
  buildNode,
  buildNodeStatus,
  byteQuantity,
  type NodeDescription,
  type NodeStatus,
  resourceLists,
} from "../../../src/node-agent/node/node-object.ts";
import { NodeStatusReporter } from "../../../src/node-agent/node/node-status.ts";
import { gitVersion } from "../../../src/version.ts";
import { apiError, FakeNodeClient } from "./fake-node-client.ts";

const Mi = 1024 * 1024;
const Gi = 1024 * Mi;

const description: NodeDescription = {
  nodeName: "n1",
  hostname: "n1",
  addresses: [
    { type: "InternalIP", address: "10.0.0.5" },
    { type: "Hostname", address: "n1" },
  ],
  labels: { "example.com/rack": "r1" },
  taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }],
  port: 10250,
  maxPods: 110,
  runtime: { name: "process", version: "0.1.0" },
};

function facts(observed: NodeFacts["observed"] = {}): NodeFacts {
  return {
    capacity: { cpuCores: 4, memoryBytes: 8 * Gi, ephemeralStorageBytes: 100 * Gi },
    systemInfo: {
      machineID: "m",
      systemUUID: "u",
      bootID: "b",
      kernelVersion: "6.1.0",
      osImage: "Debian GNU/Linux 12 (bookworm)",
      operatingSystem: "linux",
      architecture: "arm64",
    },
    observed,
  };
}

describe("capacity and allocatable", () => {
  test("bytes are given in Ki when exact", () => {
    expect(byteQuantity(8 * Gi)).toBe("8388608Ki");
    expect(byteQuantity(1000)).toBe("1000");
    expect(byteQuantity(0)).toBe("0");
  });

  test("allocatable leaves out the hard eviction thresholds", () => {
    const lists = resourceLists(facts().capacity, 110);
    expect(lists.capacity).toEqual({
      cpu: "4",
      "ephemeral-storage": `${(100 * Gi) / 1024}Ki`,
      memory: `${(8 * Gi) / 1024}Ki`,
      pods: "110",
    });
    expect(lists.allocatable).toEqual({
      cpu: "4",
      // 90 % of 100Gi, still whole KiB.
      "ephemeral-storage": "94371840Ki",
      memory: `${(8 * Gi - 100 * Mi) / 1024}Ki`,
      pods: "110",
    });
  });
});

describe("pressure", () => {
  test("memory: under 100Mi available", () => {
    expect(pressureOf({ memoryAvailableBytes: 100 * Mi }).memory).toBe(false);
    expect(pressureOf({ memoryAvailableBytes: 100 * Mi - 1 }).memory).toBe(true);
  });

  test("disk: under 10 % free", () => {
    expect(pressureOf({ diskAvailableBytes: 10, diskCapacityBytes: 100 }).disk).toBe(false);
    expect(pressureOf({ diskAvailableBytes: 9, diskCapacityBytes: 100 }).disk).toBe(true);
  });

  test("pids: under 10 % of pid_max free", () => {
    expect(pressureOf({ pidsAvailable: 3277, pidMax: 32768 }).pid).toBe(false);
    expect(pressureOf({ pidsAvailable: 3276, pidMax: 32768 }).pid).toBe(true);
  });

  test("unknown means no pressure", () => {
    expect(pressureOf({})).toEqual({ memory: false, disk: false, pid: false });
  });
});

describe("conditions", () => {
  test("upstream's types, order, reasons and messages", () => {
    const states = conditionStates({ memory: false, disk: true, pid: false }, { ready: true });
    expect(states).toEqual([
      {
        type: "MemoryPressure",
        status: "False",
        reason: "KubeletHasSufficientMemory",
        message: "kubelet has sufficient memory available",
      },
      {
        type: "DiskPressure",
        status: "True",
        reason: "KubeletHasDiskPressure",
        message: "kubelet has disk pressure",
      },
      {
        type: "PIDPressure",
        status: "False",
        reason: "KubeletHasSufficientPID",
        message: "kubelet has sufficient PID available",
      },
      {
        type: "Ready",
        status: "True",
        reason: "KubeletReady",
        message: "kubelet is posting ready status",
      },
    ]);
    const notReady = conditionStates(
      { memory: false, disk: false, pid: false },
      { ready: false, message: "runtime down" },
    );
    expect(notReady[3]).toEqual({
      type: "Ready",
      status: "False",
      reason: "KubeletNotReady",
      message: "runtime down",
    });
  });

  test("runtime limitations are a condition of their own", () => {
    expect(runtimeLimitationsCondition(["no cgroups", "no overlayfs"])).toEqual({
      type: "kubun.io/RuntimeLimitations",
      status: "True",
      reason: "RuntimeLimited",
      message: "no cgroups; no overlayfs",
    });
    expect(runtimeLimitationsCondition([]).status).toBe("False");
  });

  test("the transition time moves only when the status does", () => {
    const first = new Date("2025-01-01T00:00:00Z");
    const later = new Date("2025-01-01T00:00:10Z");
    const pressure = { memory: false, disk: false, pid: false };
    const before = stampConditions(conditionStates(pressure, { ready: true }), [], first);
    const after = stampConditions(
      conditionStates({ ...pressure, disk: true }, { ready: true }),
      before,
      later,
    );
    const byType = (list: NodeCondition[], type: string) => list.find((c) => c.type === type);
    expect(byType(before, "Ready")?.lastTransitionTime).toBe("2025-01-01T00:00:00Z");
    expect(byType(after, "Ready")?.lastTransitionTime).toBe("2025-01-01T00:00:00Z");
    expect(byType(after, "Ready")?.lastHeartbeatTime).toBe("2025-01-01T00:00:10Z");
    expect(byType(after, "DiskPressure")?.lastTransitionTime).toBe("2025-01-01T00:00:10Z");
    expect(byType(after, "DiskPressure")?.status).toBe("True");
  });
});

describe("the Node object", () => {
  test("labels, registration taints, addresses, endpoint and node info", () => {
    const status = buildNodeStatus(description, facts(), []);
    const node = buildNode(description, facts().systemInfo, status);
    expect(node.metadata?.labels).toEqual({
      "beta.kubernetes.io/arch": "arm64",
      "beta.kubernetes.io/os": "linux",
      "kubernetes.io/arch": "arm64",
      "kubernetes.io/hostname": "n1",
      "kubernetes.io/os": "linux",
      "example.com/rack": "r1",
    });
    expect(node.spec).toEqual({
      taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }],
    });
    expect(status.addresses).toEqual([...description.addresses]);
    expect(status.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
    expect(status.nodeInfo).toEqual({
      machineID: "m",
      systemUUID: "u",
      bootID: "b",
      kernelVersion: "6.1.0",
      osImage: "Debian GNU/Linux 12 (bookworm)",
      containerRuntimeVersion: "process://0.1.0",
      kubeletVersion: gitVersion,
      kubeProxyVersion: gitVersion,
      operatingSystem: "linux",
      architecture: "arm64",
    });
  });
});

/** A client on which the Node exists once created, and status patches are merged in. */
function nodeServer(client: FakeNodeClient, existing?: Record<string, unknown>) {
  let node: Record<string, unknown> | undefined = existing;
  client.respond = (call) => {
    if (call.verb === "create") {
      if (node) throw apiError(409, "AlreadyExists");
      node = {
        ...(call.body as object),
        metadata: { ...(call.body as { metadata: object }).metadata, uid: "uid-1" },
      };
      return node;
    }
    if (call.verb === "get") {
      if (!node) throw apiError(404, "NotFound");
      return node;
    }
    if (call.verb === "patch") {
      if (!node) throw apiError(404, "NotFound");
      const body = call.body as { metadata?: object; status?: object };
      node = {
        ...node,
        ...(body.metadata ? { metadata: { ...(node.metadata as object), ...body.metadata } } : {}),
        ...(body.status ? { status: body.status } : {}),
      };
      return node;
    }
    throw new Error(`unexpected ${call.verb}`);
  };
  return {
    current: () => node,
    remove: () => {
      node = undefined;
    },
  };
}

describe("NodeStatusReporter", () => {
  let clock = new Date("2025-01-01T00:00:00Z").getTime();
  const now = () => new Date(clock);

  function reporter(client: FakeNodeClient, observed: NodeFacts["observed"] = {}) {
    let current = observed;
    const source = { read: async () => facts(current) };
    const instance = new NodeStatusReporter({
      client,
      description,
      facts: source,
      now,
      reportIntervalMs: 300_000,
    });
    const setObserved = (next: NodeFacts["observed"]) => {
      current = next;
    };
    return { instance, setObserved };
  }

  test("registers with labels, taints and status", async () => {
    const client = new FakeNodeClient();
    nodeServer(client);
    const { instance } = reporter(client);
    const node = await instance.register();
    expect(client.writes()).toEqual(["create /api/v1/nodes"]);
    const sent = client.calls[0]?.body as { spec: unknown; status: NodeStatus };
    expect(sent.spec).toEqual({
      taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }],
    });
    expect(sent.status.conditions.map((c) => `${c.type}=${c.status}`)).toEqual([
      "MemoryPressure=False",
      "DiskPressure=False",
      "PIDPressure=False",
      "Ready=True",
    ]);
    expect(node.metadata?.uid).toBe("uid-1");
    expect(instance.node?.metadata?.uid).toBe("uid-1");
  });

  test("an existing Node gets our labels and status, never taints", async () => {
    const client = new FakeNodeClient();
    nodeServer(client, {
      metadata: { name: "n1", uid: "old", labels: { "kubernetes.io/hostname": "n1", admin: "x" } },
      spec: { taints: [{ key: "admin", effect: "NoExecute" }] },
      status: {
        conditions: [
          {
            type: "Ready",
            status: "True",
            lastHeartbeatTime: "2024-12-31T00:00:00Z",
            lastTransitionTime: "2024-12-01T00:00:00Z",
            reason: "KubeletReady",
            message: "kubelet is posting ready status",
          },
        ],
      },
    });
    const { instance } = reporter(client);
    await instance.register();
    expect(client.writes()).toEqual([
      "create /api/v1/nodes",
      "patch /api/v1/nodes/n1",
      "patch /api/v1/nodes/n1/status",
    ]);
    const labelPatch = client.calls.find((c) => c.verb === "patch" && c.path === "/api/v1/nodes/n1")
      ?.body as {
      metadata: { labels: Record<string, string> };
      spec?: unknown;
    };
    expect(labelPatch.spec).toBeUndefined();
    expect(labelPatch.metadata.labels["example.com/rack"]).toBe("r1");
    expect(labelPatch.metadata.labels.admin).toBeUndefined();
    const statusPatch = client.calls.at(-1);
    expect(statusPatch?.options).toBe("strategic");
    const ready = (statusPatch?.body as { status: NodeStatus }).status.conditions.find(
      (c) => c.type === "Ready",
    );
    // Still ready since before: the transition time is kept.
    expect(ready?.lastTransitionTime).toBe("2024-12-01T00:00:00Z");
    expect(instance.node?.metadata?.uid).toBe("old");
  });

  test("writes when the status changes or the report interval has passed", async () => {
    const client = new FakeNodeClient();
    nodeServer(client);
    const { instance, setObserved } = reporter(client, { memoryAvailableBytes: Gi });
    await instance.register();
    clock += 10_000;
    expect(await instance.sync()).toBe(false);
    setObserved({ memoryAvailableBytes: 50 * Mi });
    clock += 10_000;
    expect(await instance.sync()).toBe(true);
    const memory = instance.status?.conditions.find((c) => c.type === "MemoryPressure");
    expect(memory?.status).toBe("True");
    expect(memory?.reason).toBe("KubeletHasInsufficientMemory");
    clock += 10_000;
    expect(await instance.sync()).toBe(false);
    clock += 300_000;
    expect(await instance.sync()).toBe(true);
    expect(client.writes().filter((w) => w.endsWith("/status"))).toHaveLength(2);
  });

  test("conditions someone else changed on the server are written back at the next sync", async () => {
    const client = new FakeNodeClient();
    const server = nodeServer(client);
    const { instance } = reporter(client);
    await instance.register();
    clock += 10_000;
    expect(await instance.sync()).toBe(false);
    // The node lifecycle controller marked the node lost while our heartbeats were late.
    const status = server.current()?.status as {
      conditions: { type: string; status: string; reason?: string }[];
    };
    for (const condition of status.conditions) {
      condition.status = "Unknown";
      condition.reason = "NodeStatusUnknown";
    }
    clock += 10_000;
    expect(await instance.sync()).toBe(true);
    const written = server.current()?.status as { conditions: { type: string; status: string }[] };
    expect(written.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
  });

  test("a Node deleted meanwhile is registered again", async () => {
    const client = new FakeNodeClient();
    const server = nodeServer(client);
    const { instance } = reporter(client);
    await instance.register();
    server.remove();
    clock += 400_000;
    expect(await instance.sync()).toBe(true);
    expect(client.writes()).toEqual([
      "create /api/v1/nodes",
      "patch /api/v1/nodes/n1/status",
      "create /api/v1/nodes",
    ]);
    expect(server.current()).toBeDefined();
  });
});
