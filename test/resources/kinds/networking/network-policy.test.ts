import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { networkPolicyKind } from "../../../../src/resources/kinds/networking/network-policy.ts";
import { created, createErrors } from "../apps/kind-harness.ts";

function policy(spec: Record<string, unknown>): KubeObject {
  return { metadata: { name: "deny" }, spec: { podSelector: {}, ...spec } };
}

describe("networkPolicyKind defaults", () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["no rules", {}, ["Ingress"]],
    ["egress rules", { egress: [{ to: [{ podSelector: {} }] }] }, ["Ingress", "Egress"]],
    ["explicit types", { policyTypes: ["Egress"] }, ["Egress"]],
  ];
  for (const [name, spec, expected] of cases) {
    test(`derives policyTypes from ${name}`, () => {
      expect(
        (created(networkPolicyKind, policy(spec)).spec as { policyTypes: unknown }).policyTypes,
      ).toEqual(expected);
    });
  }

  test("defaults port protocols to TCP", () => {
    const object = created(networkPolicyKind, policy({ ingress: [{ ports: [{ port: 80 }] }] }));
    expect((object.spec as { ingress: { ports: unknown[] }[] }).ingress[0]?.ports).toEqual([
      { port: 80, protocol: "TCP" },
    ]);
  });
});

describe("networkPolicyKind validation", () => {
  test("accepts ingress from a namespace and a CIDR", () => {
    const input = policy({
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { team: "a" } } },
            { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } },
          ],
          ports: [{ port: "http" }, { port: 8000, endPort: 8080 }],
        },
      ],
    });
    expect(createErrors(networkPolicyKind, input)).toEqual([]);
  });

  const cases: [string, Record<string, unknown>, string[]][] = [
    [
      "an empty peer",
      { ingress: [{ from: [{}] }] },
      ["spec.ingress[0].from[0]: Required value: must specify a peer"],
    ],
    [
      "an ipBlock with another peer",
      { egress: [{ to: [{ podSelector: {}, ipBlock: { cidr: "10.0.0.0/8" } }] }] },
      ["spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer"],
    ],
    [
      "an except outside the cidr",
      { ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/16", except: ["10.1.0.0/24"] } }] }] },
      [
        'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`',
      ],
    ],
    [
      "an end port below the port",
      { ingress: [{ ports: [{ port: 90, endPort: 80 }] }] },
      [
        "spec.ingress[0].ports[0].endPort: Invalid value: 90: must be greater than or equal to `port`",
      ],
    ],
    [
      "an end port with a named port",
      { ingress: [{ ports: [{ port: "http", endPort: 80 }] }] },
      [
        "spec.ingress[0].ports[0].endPort: Invalid value: 80: may not be specified when `port` is non-numeric",
      ],
    ],
    [
      "an unknown policy type",
      { policyTypes: ["Sideways"] },
      ['spec.policyTypes[0]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"'],
    ],
    [
      "more than two policy types",
      { policyTypes: ["Ingress", "Egress", "Ingress"] },
      [
        'spec.policyTypes: Invalid value: ["Ingress","Egress","Ingress"]: may not specify more than two policyTypes',
      ],
    ],
  ];
  for (const [name, spec, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(networkPolicyKind, policy(spec))).toEqual(expected);
    });
  }
});
