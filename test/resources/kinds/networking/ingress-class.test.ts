import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { ingressClassKind } from "../../../../src/resources/kinds/networking/ingress-class.ts";
import { created, createErrors, updateErrors } from "../apps/kind-harness.ts";

function ingressClass(spec: Record<string, unknown>): KubeObject {
  return { metadata: { name: "nginx" }, spec };
}

describe("ingressClassKind", () => {
  test("defaults the parameters' scope to Cluster", () => {
    const object = created(
      ingressClassKind,
      ingressClass({
        controller: "k8s.io/ingress-nginx",
        parameters: { kind: "Config", name: "c" },
      }),
    );
    expect((object.spec as { parameters: unknown }).parameters).toEqual({
      kind: "Config",
      name: "c",
      scope: "Cluster",
    });
  });

  test("accepts a controller with namespaced parameters", () => {
    const spec = {
      controller: "example.com/ingress",
      parameters: {
        apiGroup: "example.com",
        kind: "Params",
        name: "p",
        scope: "Namespace",
        namespace: "ingress",
      },
    };
    expect(createErrors(ingressClassKind, ingressClass(spec))).toEqual([]);
  });

  const cases: [string, Record<string, unknown>, string[]][] = [
    ["a missing controller", {}, ["spec.controller: Required value"]],
    [
      "a controller without a domain",
      { controller: "nginx" },
      [
        'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
      ],
    ],
    [
      "namespaced parameters without a namespace",
      { controller: "example.com/x", parameters: { kind: "P", name: "p", scope: "Namespace" } },
      ["spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"],
    ],
    [
      "cluster parameters with a namespace",
      {
        controller: "example.com/x",
        parameters: { kind: "P", name: "p", scope: "Cluster", namespace: "n" },
      },
      ["spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"],
    ],
    [
      "parameters without a kind",
      { controller: "example.com/x", parameters: { name: "p" } },
      ["spec.parameters.kind: Required value: kind is required"],
    ],
  ];
  for (const [name, spec, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(ingressClassKind, ingressClass(spec))).toEqual(expected);
    });
  }

  test("rejects an update that changes the controller", () => {
    const stored = created(ingressClassKind, ingressClass({ controller: "example.com/a" }));
    expect(
      updateErrors(ingressClassKind, stored, ingressClass({ controller: "example.com/b" })),
    ).toEqual(['spec.controller: Invalid value: "example.com/b": field is immutable']);
  });
});
