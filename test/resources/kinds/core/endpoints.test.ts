import { describe, expect, test } from "bun:test";
import { endpointsKind } from "../../../../src/resources/kinds/core/endpoints.ts";
import { create, type LooseObject, meta } from "./kind-harness.ts";

function endpoints(subsets: Record<string, unknown>[]): LooseObject {
  return { apiVersion: "v1", kind: "Endpoints", metadata: meta("web"), subsets };
}

describe("endpointsKind", () => {
  test("defaults port protocols to TCP", () => {
    const { object, errors } = create(
      endpointsKind,
      endpoints([{ addresses: [{ ip: "10.42.0.5" }], ports: [{ port: 80 }] }]),
    );
    expect(errors).toEqual([]);
    expect(object.subsets).toEqual([
      { addresses: [{ ip: "10.42.0.5" }], ports: [{ port: 80, protocol: "TCP" }] },
    ]);
  });

  test.each<[string, Record<string, unknown>[], string[]]>([
    [
      "a subset without addresses",
      [{ ports: [{ port: 80 }] }],
      ["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"],
    ],
    [
      "a loopback address",
      [{ addresses: [{ ip: "127.0.0.1" }] }],
      [
        'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      ],
    ],
    [
      "a link-local address",
      [{ addresses: [{ ip: "169.254.169.254" }] }],
      [
        'subsets[0].addresses[0].ip: Invalid value: "169.254.169.254": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
      ],
    ],
    [
      "two unnamed ports",
      [{ addresses: [{ ip: "10.42.0.5" }], ports: [{ port: 80 }, { port: 443 }] }],
      ["subsets[0].ports[0].name: Required value", "subsets[0].ports[1].name: Required value"],
    ],
  ])("rejects %s", (_, subsets, messages) => {
    expect(create(endpointsKind, endpoints(subsets)).messages).toEqual(messages);
  });
});
