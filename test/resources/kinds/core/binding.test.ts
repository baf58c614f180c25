import { describe, expect, test } from "bun:test";
import { bindingKind } from "../../../../src/resources/kinds/core/binding.ts";
import { create, meta } from "./kind-harness.ts";

describe("bindingKind", () => {
  test.each<[string, Record<string, unknown>, string[]]>([
    ["a node target", { kind: "Node", name: "worker-1" }, []],
    ["a target without a kind", { name: "worker-1" }, []],
    ["a target without a name", { kind: "Node" }, ["target.name: Required value"]],
    [
      "a target that is not a node",
      { kind: "Pod", name: "web" },
      ['target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"'],
    ],
  ])("judges %s", (_, target, messages) => {
    expect(
      create(bindingKind, { apiVersion: "v1", kind: "Binding", metadata: meta("web"), target })
        .messages,
    ).toEqual(messages);
  });
});
