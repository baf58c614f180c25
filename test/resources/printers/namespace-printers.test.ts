import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { namespacePrinters } from "../../../src/resources/printers/namespace-printers.ts";
import { ago, cellsByColumn, days } from "./printer-fixtures.ts";

const meta = { name: "shop", creationTimestamp: ago(days(3)) };

describe("namespace printer", () => {
  const columns = namespacePrinters.namespaces?.columns ?? [];

  test("prints the phase", () => {
    const terminating: KubeObject = { metadata: meta, status: { phase: "Terminating" } };
    expect(cellsByColumn("", "namespaces", terminating, columns)).toEqual({
      Name: "shop",
      Status: "Terminating",
      Age: "3d",
    });
  });

  test("reads a namespace without a phase as Active, the phase it is created with", () => {
    expect(cellsByColumn("", "namespaces", { metadata: meta }, columns).Status).toBe("Active");
  });
});

describe("resource quota printer", () => {
  const columns = namespacePrinters.resourcequotas?.columns ?? [];

  test('prints "name: used/hard" sorted by name, limits apart from requests', () => {
    const quota: KubeObject = {
      metadata: meta,
      spec: { hard: { pods: "10" } },
      status: {
        hard: {
          pods: "10",
          "requests.cpu": "2",
          "limits.memory": "2Gi",
          "limits.cpu": "4000m",
          "requests.memory": "1Gi",
        },
        used: { pods: "1", "requests.cpu": "500m", "limits.memory": "1024Mi" },
      },
    };
    expect(cellsByColumn("", "resourcequotas", quota, columns)).toEqual({
      Name: "shop",
      Request: "pods: 1/10, requests.cpu: 500m/2, requests.memory: 0/1Gi",
      Limit: "limits.cpu: 0/4, limits.memory: 1Gi/2Gi",
      Age: "3d",
    });
  });

  test("prints empty cells before the quota controller fills status", () => {
    const quota: KubeObject = { metadata: meta, spec: { hard: { pods: "10" } } };
    const cells = cellsByColumn("", "resourcequotas", quota, columns);
    expect([cells.Request, cells.Limit]).toEqual(["", ""]);
  });
});
