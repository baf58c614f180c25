import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { workloadPrinters } from "../../../src/resources/printers/workload-printers.ts";
import { ago, cellsByColumn, days, minutes } from "./printer-fixtures.ts";

function columnsOf(key: string) {
  return workloadPrinters[key]?.columns ?? [];
}

const template = {
  metadata: { labels: { app: "web" } },
  spec: {
    containers: [
      { name: "app", image: "nginx:1.27" },
      { name: "sidecar", image: "envoy:1.30" },
    ],
  },
};
const meta = { name: "web", creationTimestamp: ago(days(2) + minutes(5)) };

function deployment(spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject {
  return { metadata: meta, spec: { template, ...spec }, ...(status ? { status } : {}) };
}

describe("deployment printer", () => {
  const columns = columnsOf("deployments.apps");
  const cases: [name: string, object: KubeObject, expected: Record<string, unknown>][] = [
    [
      "ready out of desired, up to date and available",
      deployment(
        { replicas: 3, selector: { matchLabels: { app: "web" } } },
        { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
      ),
      {
        Name: "web",
        Ready: "2/3",
        "Up-to-date": 3,
        Available: 2,
        Age: "2d",
        Containers: "app,sidecar",
        Images: "nginx:1.27,envoy:1.30",
        Selector: "app=web",
      },
    ],
    [
      "a new deployment without status",
      deployment({ replicas: 2, selector: { matchLabels: { app: "web" } } }),
      { Ready: "0/2", "Up-to-date": 0, Available: 0 },
    ],
    [
      "replicas defaulting to 1",
      deployment({ selector: { matchLabels: { app: "web" } } }, { readyReplicas: 1 }),
      { Ready: "1/1" },
    ],
    [
      "scaled to zero",
      deployment({ replicas: 0, selector: { matchLabels: { app: "web" } } }),
      { Ready: "0/0" },
    ],
    [
      "a selector with expressions, sorted by key",
      deployment({
        selector: {
          matchLabels: { tier: "front" },
          matchExpressions: [{ key: "app", operator: "In", values: ["web", "api"] }],
        },
      }),
      { Selector: "app in (api,web),tier=front" },
    ],
    [
      "an unparsable selector",
      deployment({ selector: { matchExpressions: [{ key: "app", operator: "Near" }] } }),
      { Selector: "<invalid>" },
    ],
    ["a selector that selects everything", deployment({ selector: {} }), { Selector: "" }],
  ];
  for (const [name, object, expected] of cases) {
    test(name, () => {
      expect(cellsByColumn("apps", "deployments", object, columns)).toMatchObject(expected);
    });
  }
});

describe("replica set and replication controller printers", () => {
  test("a replica set prints desired, current, ready and its selector", () => {
    const object = deployment(
      { replicas: 3, selector: { matchLabels: { app: "web" } } },
      { replicas: 3, readyReplicas: 1 },
    );
    expect(cellsByColumn("apps", "replicasets", object, columnsOf("replicasets.apps"))).toEqual({
      Name: "web",
      Desired: 3,
      Current: 3,
      Ready: 1,
      Age: "2d",
      Containers: "app,sidecar",
      Images: "nginx:1.27,envoy:1.30",
      Selector: "app=web",
    });
  });

  test('a replica set with an empty selector prints "<none>"', () => {
    const object = deployment({ replicas: 1, selector: {} });
    const cells = cellsByColumn("apps", "replicasets", object, columnsOf("replicasets.apps"));
    expect(cells.Selector).toBe("<none>");
  });

  test("a replication controller prints its map selector and tolerates no template", () => {
    const object: KubeObject = {
      metadata: meta,
      spec: { replicas: 2, selector: { app: "web", env: "prod" } },
      status: { replicas: 2, readyReplicas: 2 },
    };
    const columns = columnsOf("replicationcontrollers");
    expect(cellsByColumn("", "replicationcontrollers", object, columns)).toEqual({
      Name: "web",
      Desired: 2,
      Current: 2,
      Ready: 2,
      Age: "2d",
      Containers: "",
      Images: "",
      Selector: "app=web,env=prod",
    });
  });
});

describe("daemon set and stateful set printers", () => {
  test("a daemon set prints its scheduling counts and node selector", () => {
    const object: KubeObject = {
      metadata: meta,
      spec: {
        selector: { matchLabels: { app: "agent" } },
        template: { spec: { ...template.spec, nodeSelector: { "kubernetes.io/os": "linux" } } },
      },
      status: {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 2,
        updatedNumberScheduled: 1,
        numberAvailable: 2,
      },
    };
    expect(cellsByColumn("apps", "daemonsets", object, columnsOf("daemonsets.apps"))).toEqual({
      Name: "web",
      Desired: 3,
      Current: 3,
      Ready: 2,
      "Up-to-date": 1,
      Available: 2,
      "Node Selector": "kubernetes.io/os=linux",
      Age: "2d",
      Containers: "app,sidecar",
      Images: "nginx:1.27,envoy:1.30",
      Selector: "app=agent",
    });
  });

  test("a stateful set prints ready out of desired", () => {
    const object = deployment({ replicas: 3 }, { readyReplicas: 3 });
    expect(cellsByColumn("apps", "statefulsets", object, columnsOf("statefulsets.apps"))).toEqual({
      Name: "web",
      Ready: "3/3",
      Age: "2d",
      Containers: "app,sidecar",
      Images: "nginx:1.27,envoy:1.30",
    });
  });
});

describe("controller revision printer", () => {
  const columns = columnsOf("controllerrevisions.apps");

  test("names the controlling owner as kind.group/name", () => {
    const object: KubeObject = {
      metadata: {
        ...meta,
        ownerReferences: [
          { apiVersion: "v1", kind: "Pod", name: "other", uid: "1" },
          { apiVersion: "apps/v1", kind: "StatefulSet", name: "db", uid: "2", controller: true },
        ],
      },
      revision: 4,
    };
    expect(cellsByColumn("apps", "controllerrevisions", object, columns)).toEqual({
      Name: "web",
      Controller: "statefulset.apps/db",
      Revision: 4,
      Age: "2d",
    });
  });

  test('prints "<none>" without a controller and leaves out the core group', () => {
    const orphan = cellsByColumn("apps", "controllerrevisions", { metadata: meta }, columns);
    expect(orphan.Controller).toBe("<none>");
    const coreOwned: KubeObject = {
      metadata: {
        ...meta,
        ownerReferences: [
          { apiVersion: "v1", kind: "Node", name: "n1", uid: "3", controller: true },
        ],
      },
    };
    expect(cellsByColumn("apps", "controllerrevisions", coreOwned, columns).Controller).toBe(
      "node/n1",
    );
  });
});
