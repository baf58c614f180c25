import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { servicePrinters } from "../../../src/resources/printers/service-printers.ts";
import { ago, cellsByColumn, days } from "./printer-fixtures.ts";

const columns = servicePrinters.services?.columns ?? [];

function service(spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject {
  return {
    metadata: { name: "web", creationTimestamp: ago(days(45)) },
    spec,
    ...(status ? { status } : {}),
  };
}

interface ServiceCase {
  name: string;
  service: KubeObject;
  expected: Record<string, unknown>;
}

const cases: ServiceCase[] = [
  {
    name: "a ClusterIP service with two ports",
    service: service({
      type: "ClusterIP",
      clusterIP: "10.96.0.10",
      clusterIPs: ["10.96.0.10"],
      ports: [
        { port: 80, protocol: "TCP" },
        { port: 443, protocol: "TCP" },
      ],
      selector: { app: "web", tier: "front" },
    }),
    expected: {
      Name: "web",
      Type: "ClusterIP",
      "Cluster-IP": "10.96.0.10",
      "External-IP": "<none>",
      "Port(s)": "80/TCP,443/TCP",
      Age: "45d",
      Selector: "app=web,tier=front",
    },
  },
  {
    name: "a ClusterIP service with external IPs and a UDP port",
    service: service({
      type: "ClusterIP",
      clusterIPs: ["10.96.0.11"],
      externalIPs: ["192.0.2.1", "192.0.2.2"],
      ports: [{ port: 53, protocol: "UDP" }],
    }),
    expected: { "External-IP": "192.0.2.1,192.0.2.2", "Port(s)": "53/UDP", Selector: "<none>" },
  },
  {
    name: "a NodePort service shows port:nodePort",
    service: service({
      type: "NodePort",
      clusterIPs: ["10.96.0.12"],
      ports: [
        { port: 80, nodePort: 30080, protocol: "TCP" },
        { port: 443, protocol: "TCP" },
      ],
    }),
    expected: { Type: "NodePort", "External-IP": "<none>", "Port(s)": "80:30080/TCP,443/TCP" },
  },
  {
    name: "a LoadBalancer service without an address is <pending>",
    service: service({
      type: "LoadBalancer",
      clusterIPs: ["10.96.0.13"],
      ports: [{ port: 80, nodePort: 31000, protocol: "TCP" }],
    }),
    expected: { "External-IP": "<pending>", "Port(s)": "80:31000/TCP" },
  },
  {
    name: "a LoadBalancer service lists its ingress addresses sorted, once each, unclipped",
    service: service(
      { type: "LoadBalancer", clusterIPs: ["10.96.0.14"], ports: [{ port: 80, protocol: "TCP" }] },
      {
        loadBalancer: {
          ingress: [
            { hostname: "a-very-long-load-balancer.example.com" },
            { ip: "203.0.113.9" },
            { ip: "203.0.113.9" },
          ],
        },
      },
    ),
    expected: { "External-IP": "203.0.113.9,a-very-long-load-balancer.example.com" },
  },
  {
    name: "a LoadBalancer service adds its external IPs after the ingress addresses",
    service: service(
      { type: "LoadBalancer", clusterIPs: ["10.96.0.15"], externalIPs: ["192.0.2.5"] },
      { loadBalancer: { ingress: [{ ip: "203.0.113.1" }] } },
    ),
    expected: { "External-IP": "203.0.113.1,192.0.2.5", "Port(s)": "<none>" },
  },
  {
    name: "an ExternalName service shows the DNS name and no cluster IP",
    service: service({ type: "ExternalName", externalName: "db.example.com" }),
    expected: {
      Type: "ExternalName",
      "Cluster-IP": "<none>",
      "External-IP": "db.example.com",
      "Port(s)": "<none>",
    },
  },
  {
    name: "a headless service shows None as its cluster IP",
    service: service({ clusterIP: "None", clusterIPs: ["None"], ports: [{ port: 5432 }] }),
    expected: { Type: "ClusterIP", "Cluster-IP": "None", "Port(s)": "5432/TCP" },
  },
  {
    name: "a dual-stack service shows its first cluster IP",
    service: service({ type: "ClusterIP", clusterIPs: ["fd00::10", "10.96.0.16"] }),
    expected: { "Cluster-IP": "fd00::10" },
  },
];

describe("service printer", () => {
  for (const c of cases) {
    test(c.name, () => {
      expect(cellsByColumn("", "services", c.service, columns)).toMatchObject(c.expected);
    });
  }
});
