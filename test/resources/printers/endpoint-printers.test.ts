import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { endpointPrinters } from "../../../src/resources/printers/endpoint-printers.ts";
import { ago, cellsByColumn, hours } from "./printer-fixtures.ts";

const endpointsColumns = endpointPrinters.endpoints?.columns ?? [];
const sliceColumns = endpointPrinters["endpointslices.discovery.k8s.io"]?.columns ?? [];
const meta = { name: "web", creationTimestamp: ago(hours(4)) };

function endpoints(subsets: unknown): string {
  const object: KubeObject = { metadata: meta, subsets };
  return cellsByColumn("", "endpoints", object, endpointsColumns).Endpoints as string;
}

describe("endpoints printer", () => {
  const ip = (n: number) => ({ ip: `10.1.0.${n}` });
  const cases: [name: string, subsets: unknown, printed: string][] = [
    ["no subsets", undefined, "<none>"],
    ["one address and port", [{ addresses: [ip(1)], ports: [{ port: 8080 }] }], "10.1.0.1:8080"],
    [
      "every address with every port",
      [{ addresses: [ip(1), ip(2)], ports: [{ port: 80 }, { port: 443 }] }],
      "10.1.0.1:80,10.1.0.2:80,10.1.0.1:443 + 1 more...",
    ],
    ["bare IPs for a subset without ports", [{ addresses: [ip(1), ip(2)] }], "10.1.0.1,10.1.0.2"],
    [
      "IPv6 addresses in brackets",
      [{ addresses: [{ ip: "fd00::1" }], ports: [{ port: 80 }] }],
      "[fd00::1]:80",
    ],
    [
      "at most three, counting the rest across subsets",
      [
        { addresses: [ip(1), ip(2)], ports: [{ port: 80 }] },
        { addresses: [ip(3), ip(4), ip(5)], ports: [{ port: 80 }] },
      ],
      "10.1.0.1:80,10.1.0.2:80,10.1.0.3:80 + 2 more...",
    ],
    ["an empty cell when only not-ready addresses exist", [{ ports: [{ port: 80 }] }], ""],
  ];
  for (const [name, subsets, printed] of cases) {
    test(name, () => {
      expect(endpoints(subsets)).toBe(printed);
    });
  }

  test("prints the age", () => {
    expect(cellsByColumn("", "endpoints", { metadata: meta }, endpointsColumns).Age).toBe("4h");
  });
});

describe("endpoint slice printer", () => {
  test("prints address type, ports and addresses", () => {
    const slice: KubeObject = {
      metadata: meta,
      addressType: "IPv4",
      ports: [{ name: "http", port: 80 }, { name: "metrics" }, {}],
      endpoints: [{ addresses: ["10.1.0.1"] }, { addresses: ["10.1.0.2", "10.1.0.3"] }],
    };
    expect(cellsByColumn("discovery.k8s.io", "endpointslices", slice, sliceColumns)).toEqual({
      Name: "web",
      AddressType: "IPv4",
      Ports: "80,metrics,*",
      Endpoints: "10.1.0.1,10.1.0.2,10.1.0.3",
      Age: "4h",
    });
  });

  test('prints "<unset>" for no ports or endpoints and counts past three', () => {
    const empty = cellsByColumn(
      "discovery.k8s.io",
      "endpointslices",
      { metadata: meta },
      sliceColumns,
    );
    expect([empty.Ports, empty.Endpoints]).toEqual(["<unset>", "<unset>"]);
    const many: KubeObject = {
      metadata: meta,
      ports: [{ port: 1 }, { port: 2 }, { port: 3 }, { port: 4 }, { port: 5 }],
      endpoints: [{ addresses: ["a", "b", "c", "d"] }],
    };
    const cells = cellsByColumn("discovery.k8s.io", "endpointslices", many, sliceColumns);
    expect([cells.Ports, cells.Endpoints]).toEqual(["1,2,3 + 2 more...", "a,b,c + 1 more..."]);
  });
});
