import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { networkingPrinters } from "../../../src/resources/printers/networking-printers.ts";
import { ago, cellsByColumn, hours } from "./printer-fixtures.ts";

const meta = { name: "shop", creationTimestamp: ago(hours(30)) };

function ingress(spec: Record<string, unknown>, status?: Record<string, unknown>) {
  const object: KubeObject = { metadata: meta, spec, ...(status ? { status } : {}) };
  const columns = networkingPrinters["ingresses.networking.k8s.io"]?.columns ?? [];
  return cellsByColumn("networking.k8s.io", "ingresses", object, columns);
}

describe("ingress printer", () => {
  test("prints class, hosts, address and ports", () => {
    expect(
      ingress(
        {
          ingressClassName: "nginx",
          rules: [{ host: "shop.example.com" }, { host: "api.example.com" }],
          tls: [{ hosts: ["shop.example.com"] }],
        },
        { loadBalancer: { ingress: [{ ip: "203.0.113.7" }, { hostname: "lb.example.com" }] } },
      ),
    ).toEqual({
      Name: "shop",
      Class: "nginx",
      Hosts: "shop.example.com,api.example.com",
      Address: "203.0.113.7,lb.example.com",
      Ports: "80, 443",
      Age: "30h",
    });
  });

  test("prints defaults for an ingress with no class, host, address or TLS", () => {
    expect(ingress({ rules: [{ http: {} }] })).toMatchObject({
      Class: "<none>",
      Hosts: "*",
      Address: "",
      Ports: "80",
    });
  });

  test("shows three hosts and counts the remaining rules", () => {
    const rules = [{ host: "a" }, { host: "b" }, {}, { host: "c" }, { host: "d" }, { host: "e" }];
    expect(ingress({ rules }).Hosts).toBe("a,b,c + 3 more...");
  });
});

describe("ingress class and network policy printers", () => {
  test("an ingress class prints its controller and parameters reference", () => {
    const columns = networkingPrinters["ingressclasses.networking.k8s.io"]?.columns ?? [];
    const withGroup: KubeObject = {
      metadata: meta,
      spec: {
        controller: "example.com/ingress",
        parameters: { apiGroup: "k8s.example.com", kind: "IngressParameters", name: "external" },
      },
    };
    expect(cellsByColumn("networking.k8s.io", "ingressclasses", withGroup, columns)).toEqual({
      Name: "shop",
      Controller: "example.com/ingress",
      Parameters: "IngressParameters.k8s.example.com/external",
      Age: "30h",
    });
    const core: KubeObject = {
      metadata: meta,
      spec: { controller: "c", parameters: { kind: "ConfigMap", name: "cfg" } },
    };
    expect(cellsByColumn("networking.k8s.io", "ingressclasses", core, columns).Parameters).toBe(
      "ConfigMap/cfg",
    );
    const bare: KubeObject = { metadata: meta, spec: { controller: "c" } };
    expect(cellsByColumn("networking.k8s.io", "ingressclasses", bare, columns).Parameters).toBe(
      "<none>",
    );
  });

  test("a network policy prints its pod selector, <none> for all pods", () => {
    const columns = networkingPrinters["networkpolicies.networking.k8s.io"]?.columns ?? [];
    const policy: KubeObject = {
      metadata: meta,
      spec: { podSelector: { matchLabels: { role: "db" } } },
    };
    expect(cellsByColumn("networking.k8s.io", "networkpolicies", policy, columns)).toEqual({
      Name: "shop",
      "Pod-Selector": "role=db",
      Age: "30h",
    });
    const all: KubeObject = { metadata: meta, spec: { podSelector: {} } };
    expect(
      cellsByColumn("networking.k8s.io", "networkpolicies", all, columns)["Pod-Selector"],
    ).toBe("<none>");
  });
});
