import { describe, expect, test } from "bun:test";
import { FieldSet, fieldSetOf, pathString } from "../../../src/api/apply/field-set.ts";

const pod = {
  metadata: { labels: { app: "web" }, finalizers: ["a", "b"] },
  spec: {
    containers: [
      {
        name: "web",
        image: "nginx",
        command: ["nginx", "-g"],
        ports: [{ containerPort: 80 }],
        env: [{ name: "MODE", value: "fast" }],
      },
    ],
    volumes: [{ name: "data", emptyDir: {} }],
  },
};

describe("fieldSetOf", () => {
  // biome-ignore lint/suspicious/noExplicitAny: the encoded set is read freely to state expectations.
  const set = fieldSetOf(pod, "core/v1.Pod").encode() as Record<string, any>;
  const container = set["f:spec"]["f:containers"]['k:{"name":"web"}'];

  test("names labels by key and finalizers by value", () => {
    expect(set["f:metadata"]).toEqual({
      "f:labels": { "f:app": {} },
      "f:finalizers": { 'v:"a"': {}, 'v:"b"': {} },
    });
  });

  test("names containers by name and marks the item itself", () => {
    expect(container["."]).toEqual({});
    expect(container["f:image"]).toEqual({});
    expect(container["f:name"]).toEqual({});
  });

  test("names ports by containerPort with the defaulted protocol", () => {
    expect(container["f:ports"]).toEqual({
      'k:{"containerPort":80,"protocol":"TCP"}': { ".": {}, "f:containerPort": {} },
    });
  });

  test("names env by name", () => {
    expect(container["f:env"]).toEqual({
      'k:{"name":"MODE"}': { ".": {}, "f:name": {}, "f:value": {} },
    });
  });

  test("keeps an atomic list and an empty object as leaves", () => {
    expect(container["f:command"]).toEqual({});
    expect(set["f:spec"]["f:volumes"]['k:{"name":"data"}']["f:emptyDir"]).toEqual({});
  });

  test("treats an atomic struct as one leaf", () => {
    const deployment = { spec: { selector: { matchLabels: { app: "x" } }, replicas: 2 } };
    expect(fieldSetOf(deployment, "apps/v1.Deployment").encode()).toEqual({
      "f:spec": { "f:replicas": {}, "f:selector": {} },
    });
  });
});

describe("FieldSet", () => {
  const a = FieldSet.decode({ "f:spec": { "f:replicas": {}, "f:paused": {} } });
  const b = FieldSet.decode({ "f:spec": { "f:replicas": {} }, "f:metadata": { "f:labels": {} } });

  test("round-trips FieldsV1 with the item marker", () => {
    const json = { "f:x": { ".": {}, "f:y": {} } };
    expect(FieldSet.decode(json).encode()).toEqual(json);
  });

  test("computes union, difference and intersection", () => {
    expect(a.union(b).paths().length).toBe(3);
    expect(a.difference(b).encode()).toEqual({ "f:spec": { "f:paused": {} } });
    expect(a.intersection(b).encode()).toEqual({ "f:spec": { "f:replicas": {} } });
  });

  test("prints paths as upstream does", () => {
    expect(pathString(["f:spec", 'k:{"name":"web"}', "f:image"])).toBe('.spec[name="web"].image');
    expect(pathString(["f:metadata", "f:finalizers", 'v:"a"'])).toBe('.metadata.finalizers[="a"]');
  });
});
