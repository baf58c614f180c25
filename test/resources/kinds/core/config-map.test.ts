import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { configMapKind } from "../../../../src/resources/kinds/core/config-map.ts";
import { create, type LooseObject, meta, update } from "./kind-harness.ts";

function configMap(fields: Record<string, unknown> = {}): LooseObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: meta("settings"), ...fields };
}

describe("configMapKind validate", () => {
  test("accepts text and binary data", () => {
    expect(
      create(
        configMapKind,
        configMap({ data: { "app.conf": "x=1" }, binaryData: { logo: btoa("png") } }),
      ).messages,
    ).toEqual([]);
  });

  test.each<[string, KubeObject, string[]]>([
    [
      "a key of '..'",
      configMap({ data: { "..": "x" } }),
      ["data[..]: Invalid value: \"..\": must not be '..'"],
    ],
    [
      "a key starting with '..'",
      configMap({ data: { "..a": "x" } }),
      ["data[..a]: Invalid value: \"..a\": must not start with '..'"],
    ],
    [
      "a key in both maps",
      configMap({ data: { a: "x" }, binaryData: { a: btoa("y") } }),
      ['data[a]: Invalid value: "a": duplicate of key present in binaryData'],
    ],
    [
      "more than 1 MiB in total",
      configMap({
        data: { a: "x".repeat(600 * 1024) },
        binaryData: { b: btoa("y".repeat(600 * 1024)) },
      }),
      ["[]: Too long: may not be more than 1048576 bytes"],
    ],
  ])("rejects %s", (_, input, messages) => {
    expect(create(configMapKind, input).messages).toEqual(messages);
  });
});

describe("configMapKind update", () => {
  const old = configMap({ data: { a: "1" }, immutable: true });

  test("rejects changed data of an immutable config map", () => {
    expect(
      update(configMapKind, configMap({ data: { a: "2" }, immutable: true }), old).messages,
    ).toEqual(["data: Forbidden: field is immutable when `immutable` is set"]);
  });

  test("rejects making it mutable again", () => {
    expect(update(configMapKind, configMap({ data: { a: "1" } }), old).messages).toEqual([
      "immutable: Forbidden: field is immutable when `immutable` is set",
    ]);
  });

  test("allows label changes on an immutable config map", () => {
    const relabelled = configMap({ data: { a: "1" }, immutable: true });
    relabelled.metadata = { ...relabelled.metadata, labels: { tier: "web" } };
    expect(update(configMapKind, relabelled, old).messages).toEqual([]);
  });
});
