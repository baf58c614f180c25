import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { coordinationPrinters } from "../../../src/resources/printers/coordination-printers.ts";
import { ago, cellsByColumn, minutes } from "./printer-fixtures.ts";

describe("lease printer", () => {
  const columns = coordinationPrinters["leases.coordination.k8s.io"]?.columns ?? [];

  test("prints the holder, empty when nobody holds the lease", () => {
    const lease: KubeObject = {
      metadata: { name: "kube-scheduler", creationTimestamp: ago(minutes(90)) },
      spec: { holderIdentity: "kubun-2_7f3c", leaseDurationSeconds: 15 },
    };
    expect(cellsByColumn("coordination.k8s.io", "leases", lease, columns)).toEqual({
      Name: "kube-scheduler",
      Holder: "kubun-2_7f3c",
      Age: "90m",
    });
    const free: KubeObject = { metadata: { name: "x" }, spec: { holderIdentity: null } };
    expect(cellsByColumn("coordination.k8s.io", "leases", free, columns).Holder).toBe("");
  });
});
