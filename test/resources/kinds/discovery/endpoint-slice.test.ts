import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { endpointSliceKind } from "../../../../src/resources/kinds/discovery/endpoint-slice.ts";
import { created, createErrors, updateErrors } from "../apps/kind-harness.ts";

function slice(fields: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: "web-abc12" },
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.1.0.5"], conditions: { ready: true } }],
    ports: [{ name: "http", port: 8080 }],
    ...fields,
  };
}

describe("endpointSliceKind", () => {
  test("defaults port protocol and name", () => {
    const object = created(endpointSliceKind, slice({ ports: [{ port: 53 }] }));
    expect(object.ports).toEqual([{ port: 53, name: "", protocol: "TCP" }]);
  });

  test("accepts a slice of IPv4 endpoints", () => {
    expect(createErrors(endpointSliceKind, slice())).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    ["a missing address type", slice({ addressType: undefined }), ["addressType: Required value"]],
    [
      "an unknown address type",
      slice({ addressType: "IPX" }),
      ['addressType: Unsupported value: "IPX": supported values: "FQDN", "IPv4", "IPv6"'],
    ],
    [
      "an IPv6 address in an IPv4 slice",
      slice({ endpoints: [{ addresses: ["fd00::5"] }] }),
      ['endpoints[0].addresses[0]: Invalid value: "fd00::5": must be an IPv4 address'],
    ],
    [
      "a loopback address",
      slice({ endpoints: [{ addresses: ["127.0.0.1"] }] }),
      [
        'endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      ],
    ],
    [
      "an endpoint without addresses",
      slice({ endpoints: [{ addresses: [] }] }),
      ["endpoints[0].addresses: Required value: must contain at least 1 address"],
    ],
    [
      "a single-label FQDN",
      slice({ addressType: "FQDN", endpoints: [{ addresses: ["web"] }] }),
      [
        'endpoints[0].addresses[0]: Invalid value: "web": should be a domain with at least two segments separated by dots',
      ],
    ],
    [
      "duplicate port names",
      slice({
        ports: [
          { name: "http", port: 80 },
          { name: "http", port: 81 },
        ],
      }),
      ['ports[1].name: Duplicate value: "http"'],
    ],
    [
      "an unknown protocol",
      slice({ ports: [{ name: "x", port: 80, protocol: "ICMP" }] }),
      ['ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(endpointSliceKind, input)).toEqual(expected);
    });
  }

  test("accepts fully qualified names with a trailing dot", () => {
    const input = slice({ addressType: "FQDN", endpoints: [{ addresses: ["web.example.com."] }] });
    expect(createErrors(endpointSliceKind, input)).toEqual([]);
  });

  test("rejects an update that changes addressType", () => {
    const stored = created(endpointSliceKind, slice());
    const input = slice({ addressType: "IPv6", endpoints: [{ addresses: ["fd00::5"] }] });
    expect(updateErrors(endpointSliceKind, stored, input)).toEqual([
      'addressType: Invalid value: "IPv6": field is immutable',
    ]);
  });
});
