import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { namespaceKind } from "../../../../src/resources/kinds/core/namespace.ts";
import { create, type LooseObject, update } from "./kind-harness.ts";

function namespace(name: string, spec?: Record<string, unknown>): LooseObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, uid: "u" },
    ...(spec ? { spec } : {}),
  };
}

describe("namespaceKind", () => {
  test("starts Active with the kubernetes finalizer and its name label", () => {
    const { object, errors } = create(namespaceKind, namespace("team-a"));
    expect(errors).toEqual([]);
    expect(object.status).toEqual({ phase: "Active" });
    expect(object.spec).toEqual({ finalizers: ["kubernetes"] });
    expect(object.metadata?.labels).toEqual({ "kubernetes.io/metadata.name": "team-a" });
  });

  test("adds the kubernetes finalizer to the client's own", () => {
    const { object } = create(
      namespaceKind,
      namespace("team-a", { finalizers: ["example.com/cleanup"] }),
    );
    expect(object.spec.finalizers).toEqual(["example.com/cleanup", "kubernetes"]);
  });

  test.each<[string, KubeObject, string[]]>([
    [
      "a name with dots",
      namespace("team.a"),
      ['metadata.name: Invalid value: "team.a": must not contain dots'],
    ],
    [
      "a finalizer that is neither standard nor qualified",
      namespace("team-a", { finalizers: ["cleanup"] }),
      [
        'spec.finalizers: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
      ],
    ],
    [
      "a namespace on a namespace",
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a", namespace: "default" } },
      ["metadata.namespace: Forbidden: not allowed on this type"],
    ],
  ])("rejects %s", (_, input, messages) => {
    expect(create(namespaceKind, input).messages).toEqual(messages);
  });

  test("keeps spec.finalizers and status on update (they change through /finalize and /status)", () => {
    const changed = namespace("team-a", { finalizers: [] });
    changed.status = { phase: "Terminating" };
    const { object } = update(namespaceKind, changed, namespace("team-a"));
    expect(object.spec.finalizers).toEqual(["kubernetes"]);
    expect(object.status).toEqual({ phase: "Active" });
  });

  test("exposes status.phase and the legacy name field", () => {
    const { object } = create(namespaceKind, namespace("team-a"));
    expect(namespaceKind.selectableFields?.(object)).toEqual({
      "status.phase": "Active",
      name: "team-a",
    });
  });
});
