import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { nodePrinters } from "../../../src/resources/printers/node-printers.ts";
import { ago, cellsByColumn, days } from "./printer-fixtures.ts";

const columns = nodePrinters.nodes?.columns ?? [];

function node(fields: {
  labels?: Record<string, string>;
  unschedulable?: boolean;
  conditions?: { type: string; status: string }[];
  status?: Record<string, unknown>;
}): Record<string, unknown> {
  const object: KubeObject = {
    metadata: { name: "n1", creationTimestamp: ago(days(12)), labels: fields.labels ?? {} },
    spec: { unschedulable: fields.unschedulable },
    status: { conditions: fields.conditions ?? [], ...fields.status },
  };
  return cellsByColumn("", "nodes", object, columns);
}

const ready = { type: "Ready", status: "True" };

describe("node printer: STATUS", () => {
  const cases: [name: string, cells: Record<string, unknown>, status: string][] = [
    ["a Ready condition that is True", node({ conditions: [ready] }), "Ready"],
    [
      "a Ready condition that is not True",
      node({ conditions: [{ type: "Ready", status: "Unknown" }] }),
      "NotReady",
    ],
    [
      "no Ready condition",
      node({ conditions: [{ type: "DiskPressure", status: "False" }] }),
      "Unknown",
    ],
    [
      "a cordoned node",
      node({ conditions: [ready], unschedulable: true }),
      "Ready,SchedulingDisabled",
    ],
    [
      "a cordoned node that never reported",
      node({ unschedulable: true }),
      "Unknown,SchedulingDisabled",
    ],
  ];
  for (const [name, cells, status] of cases) {
    test(name, () => {
      expect(cells.Status).toBe(status);
    });
  }
});

describe("node printer: the other cells", () => {
  test("prints roles from both label forms, sorted and de-duplicated", () => {
    const cells = node({
      labels: {
        "node-role.kubernetes.io/worker": "",
        "node-role.kubernetes.io/control-plane": "",
        "kubernetes.io/role": "worker",
        "node-role.kubernetes.io/": "",
      },
    });
    expect(cells.Roles).toBe("control-plane,worker");
    expect(node({}).Roles).toBe("<none>");
  });

  test("prints version, addresses and system info", () => {
    const cells = node({
      conditions: [ready],
      status: {
        addresses: [
          { type: "Hostname", address: "n1" },
          { type: "InternalIP", address: "10.0.0.5" },
          { type: "InternalIP", address: "10.0.0.6" },
          { type: "ExternalIP", address: "203.0.113.5" },
        ],
        nodeInfo: {
          kubeletVersion: "v1.32.4",
          osImage: "Debian GNU/Linux 12 (bookworm)",
          kernelVersion: "6.1.0-18-amd64",
          containerRuntimeVersion: "kubun://0.1.0",
        },
      },
    });
    expect(cells).toEqual({
      Name: "n1",
      Status: "Ready",
      Roles: "<none>",
      Age: "12d",
      Version: "v1.32.4",
      "Internal-IP": "10.0.0.5",
      "External-IP": "203.0.113.5",
      "OS-Image": "Debian GNU/Linux 12 (bookworm)",
      "Kernel-Version": "6.1.0-18-amd64",
      "Container-Runtime": "kubun://0.1.0",
    });
  });

  test('prints "<none>" and "<unknown>" for a node that has not reported', () => {
    const cells = node({});
    expect([cells.Version, cells["Internal-IP"], cells["External-IP"]]).toEqual([
      "",
      "<none>",
      "<none>",
    ]);
    expect([cells["OS-Image"], cells["Kernel-Version"], cells["Container-Runtime"]]).toEqual([
      "<unknown>",
      "<unknown>",
      "<unknown>",
    ]);
  });
});

describe("component status and runtime class printers", () => {
  test("a component status prints its Healthy condition", () => {
    const columns = nodePrinters.componentstatuses?.columns ?? [];
    const healthy: KubeObject = {
      metadata: { name: "etcd-0" },
      conditions: [{ type: "Healthy", status: "True", message: "ok" }],
    };
    expect(cellsByColumn("", "componentstatuses", healthy, columns)).toEqual({
      Name: "etcd-0",
      Status: "Healthy",
      Message: "ok",
      Error: "",
    });
    const failing: KubeObject = {
      metadata: { name: "scheduler" },
      conditions: [{ type: "Healthy", status: "False", error: "connection refused" }],
    };
    expect(cellsByColumn("", "componentstatuses", failing, columns).Status).toBe("Unhealthy");
    expect(
      cellsByColumn("", "componentstatuses", { metadata: { name: "x" } }, columns).Status,
    ).toBe("Unknown");
  });

  test("a runtime class prints its handler", () => {
    const columns = nodePrinters["runtimeclasses.node.k8s.io"]?.columns ?? [];
    const object: KubeObject = {
      metadata: { name: "gvisor", creationTimestamp: ago(days(1)) },
      handler: "runsc",
    };
    expect(cellsByColumn("node.k8s.io", "runtimeclasses", object, columns)).toEqual({
      Name: "gvisor",
      Handler: "runsc",
      Age: "24h",
    });
  });
});
