import { describe, expect, test } from "bun:test";
import { encodeMessage } from "../../../src/api/protobuf/encode-message.ts";
import { WireWriter } from "../../../src/api/protobuf/wire-writer.ts";

function encode(ref: string, value: unknown): number[] {
  const w = new WireWriter();
  encodeMessage(ref, value, w);
  return [...w.finish()];
}

describe("encodeMessage", () => {
  test("writes non-pointer fields even when zero, in field-number order", () => {
    // ContainerPort: name=1, hostPort=2, containerPort=3, protocol=4, hostIP=5.
    expect(encode("core/v1.ContainerPort", { containerPort: 80 })).toEqual([
      0x0a, 0x00, 0x10, 0x00, 0x18, 0x50, 0x22, 0x00, 0x2a, 0x00,
    ]);
  });

  test("writes pointers only when set", () => {
    // DeploymentSpec.replicas (1) is a pointer; an explicit 0 is written.
    const withReplicas = encode("apps/v1.DeploymentSpec", { replicas: 0 });
    const without = encode("apps/v1.DeploymentSpec", {});
    expect(withReplicas.slice(0, 2)).toEqual([0x08, 0x00]);
    expect(without[0]).not.toBe(0x08);
  });

  test("writes map entries sorted by key", () => {
    expect(encode("meta/v1.LabelSelector", { matchLabels: { b: "2", a: "1" } })).toEqual([
      0x0a, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x31, 0x0a, 0x06, 0x0a, 0x01, 0x62, 0x12, 0x01,
      0x32,
    ]);
  });

  test("writes a zero Time as an empty message and others as seconds and nanos", () => {
    expect(encode("meta/v1.Time", null)).toEqual([]);
    expect(encode("meta/v1.Time", "0001-01-01T00:00:00Z")).toEqual([]);
    expect(encode("meta/v1.Time", "1970-01-01T00:00:01Z")).toEqual([0x08, 0x01, 0x10, 0x00]);
  });

  test("writes IntOrString with all three fields", () => {
    expect(encode("intstr.IntOrString", 1)).toEqual([0x08, 0x00, 0x10, 0x01, 0x1a, 0x00]);
    expect(encode("intstr.IntOrString", "a")).toEqual([0x08, 0x01, 0x10, 0x00, 0x1a, 0x01, 0x61]);
  });

  test("refuses JSON of the wrong shape", () => {
    expect(() => encode("core/v1.Container", "nginx")).toThrow(TypeError);
    expect(() => encode("core/v1.Container", { ports: { containerPort: 80 } })).toThrow(
      /expected a list/,
    );
    expect(() => encode("core/v1.ContainerPort", { containerPort: "80" })).toThrow(
      /expected a number/,
    );
    expect(() => encode("meta/v1.Time", "yesterday")).toThrow(/RFC 3339/);
    expect(() => encode("core/v1.NoSuchType", {})).toThrow(/no schema/);
  });
});
