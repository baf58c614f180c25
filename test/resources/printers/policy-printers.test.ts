import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { policyPrinters } from "../../../src/resources/printers/policy-printers.ts";
import { ago, cellsByColumn, hours } from "./printer-fixtures.ts";

const meta = { name: "web", creationTimestamp: ago(hours(6)) };

describe("pod disruption budget printer", () => {
  const columns = policyPrinters["poddisruptionbudgets.policy"]?.columns ?? [];

  test("prints min available, max unavailable as written and allowed disruptions", () => {
    const pdb: KubeObject = {
      metadata: meta,
      spec: { minAvailable: 2 },
      status: { disruptionsAllowed: 1 },
    };
    expect(cellsByColumn("policy", "poddisruptionbudgets", pdb, columns)).toEqual({
      Name: "web",
      "Min Available": "2",
      "Max Unavailable": "N/A",
      "Allowed Disruptions": 1,
      Age: "6h",
    });
    const percent: KubeObject = { metadata: meta, spec: { maxUnavailable: "25%" } };
    expect(cellsByColumn("policy", "poddisruptionbudgets", percent, columns)).toMatchObject({
      "Min Available": "N/A",
      "Max Unavailable": "25%",
      "Allowed Disruptions": 0,
    });
  });
});

describe("priority class printer", () => {
  const columns = policyPrinters["priorityclasses.scheduling.k8s.io"]?.columns ?? [];

  test("prints value, global default and preemption policy", () => {
    const priorityClass: KubeObject = {
      metadata: { name: "system-node-critical", creationTimestamp: ago(hours(6)) },
      value: 2000001000,
      globalDefault: false,
      preemptionPolicy: "PreemptLowerPriority",
    };
    expect(cellsByColumn("scheduling.k8s.io", "priorityclasses", priorityClass, columns)).toEqual({
      Name: "system-node-critical",
      Value: 2000001000,
      "Global-Default": false,
      Age: "6h",
      PreemptionPolicy: "PreemptLowerPriority",
    });
    const bare = cellsByColumn("scheduling.k8s.io", "priorityclasses", { metadata: meta }, columns);
    expect([bare.Value, bare["Global-Default"], bare.PreemptionPolicy]).toEqual([0, false, ""]);
  });
});
