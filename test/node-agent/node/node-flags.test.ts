import { describe, expect, test } from "bun:test";
import { parseNodeLabels, parseTaints } from "../../../src/node-agent/node/node-flags.ts";

describe("--node-labels", () => {
  test("k=v pairs, empty values allowed", () => {
    expect(parseNodeLabels("a=b, example.com/rack=r1,empty=")).toEqual({
      a: "b",
      "example.com/rack": "r1",
      empty: "",
    });
    expect(parseNodeLabels("")).toEqual({});
  });

  test("labels NodeRestriction refuses are refused up front", () => {
    expect(() => parseNodeLabels("node-role.kubernetes.io/worker=")).toThrow(
      "a node may not set node-role.kubernetes.io/worker on itself",
    );
    // The kubelet's own namespaces are fine.
    expect(parseNodeLabels("node.kubernetes.io/pool=a")).toEqual({
      "node.kubernetes.io/pool": "a",
    });
  });

  test("an item without = is an error", () => {
    expect(() => parseNodeLabels("novalue")).toThrow('"novalue" is not key=value');
  });
});

describe("--register-with-taints", () => {
  test("key=value:Effect and key:Effect", () => {
    expect(parseTaints("dedicated=gpu:NoSchedule,spot:PreferNoSchedule")).toEqual([
      { key: "dedicated", value: "gpu", effect: "NoSchedule" },
      { key: "spot", effect: "PreferNoSchedule" },
    ]);
  });

  test("a missing or unknown effect is an error", () => {
    expect(() => parseTaints("a=b")).toThrow("must end in :NoSchedule");
    expect(() => parseTaints("a=b:Sometimes")).toThrow("must end in :NoSchedule");
    expect(() => parseTaints(":NoSchedule")).toThrow("has no key");
  });
});
