import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { serviceKind } from "../../../../src/resources/kinds/core/service.ts";
import { create, type Loose, type LooseObject, meta, update } from "./kind-harness.ts";

type Spec = Loose;

function service(spec: Spec = {}, name = "web"): LooseObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(name),
    spec: { selector: { app: "web" }, ports: [{ port: 80 }], ...spec },
  };
}

describe("serviceKind defaults", () => {
  test("fills upstream's defaults into a minimal service", () => {
    const { object, errors } = create(serviceKind, service());
    expect(errors).toEqual([]);
    expect(object.spec).toEqual({
      selector: { app: "web" },
      ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
      type: "ClusterIP",
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
      ipFamilies: ["IPv4"],
      ipFamilyPolicy: "SingleStack",
    });
  });

  test("keeps a named target port", () => {
    const { object } = create(serviceKind, service({ ports: [{ port: 80, targetPort: "http" }] }));
    expect(object.spec.ports[0].targetPort).toBe("http");
  });

  test("defaults traffic policy and node port allocation for load balancers", () => {
    const { object } = create(serviceKind, service({ type: "LoadBalancer" }));
    expect(object.spec.externalTrafficPolicy).toBe("Cluster");
    expect(object.spec.allocateLoadBalancerNodePorts).toBe(true);
  });

  test("gives ClientIP affinity upstream's three-hour timeout", () => {
    const { object } = create(serviceKind, service({ sessionAffinity: "ClientIP" }));
    expect(object.spec.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
  });

  test("copies clusterIP into clusterIPs", () => {
    const { object } = create(serviceKind, service({ clusterIP: "10.96.0.10" }));
    expect(object.spec.clusterIPs).toEqual(["10.96.0.10"]);
  });

  test("sets no IP families for ExternalName services", () => {
    const { object, errors } = create(
      serviceKind,
      service({ type: "ExternalName", externalName: "db.example.com", ports: [] }),
    );
    expect(errors).toEqual([]);
    expect(object.spec.ipFamilies).toBeUndefined();
    expect(object.spec.ipFamilyPolicy).toBeUndefined();
  });

  test("drops a status sent with a create", () => {
    const input = service();
    input.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
    expect(create(serviceKind, input).object.status).toBeUndefined();
  });
});

describe("serviceKind validate", () => {
  test("accepts a headless service without ports", () => {
    expect(create(serviceKind, service({ clusterIP: "None", ports: [] })).messages).toEqual([]);
  });

  test.each<[string, KubeObject, string[]]>([
    [
      "a name that is not a DNS-1035 label",
      service({}, "1web"),
      [
        "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    ["no ports", service({ ports: [] }), ["spec.ports: Required value"]],
    [
      "a port out of range",
      service({ ports: [{ port: 0 }] }),
      [
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
      ],
    ],
    [
      "two unnamed ports",
      service({ ports: [{ port: 80 }, { port: 443 }] }),
      ["spec.ports[0].name: Required value", "spec.ports[1].name: Required value"],
    ],
    [
      "an unknown type",
      service({ type: "Internal" }),
      [
        'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      ],
    ],
    [
      "a node port on a ClusterIP service",
      service({ ports: [{ port: 80, nodePort: 30080 }] }),
      ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    ],
    [
      "a selector with an invalid value",
      service({ selector: { app: "web!" } }),
      [
        "spec.selector: Invalid value: \"web!\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      ],
    ],
    [
      "an ExternalName service without a name",
      service({ type: "ExternalName", ports: [] }),
      ["spec.externalName: Required value"],
    ],
    [
      "a cluster IP that is not an address",
      service({ clusterIP: "10.96.0.300" }),
      [
        'spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      ],
    ],
    [
      "dual stack on a single-stack cluster",
      service({ ipFamilyPolicy: "RequireDualStack" }),
      [
        'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
      ],
    ],
    [
      "an unknown session affinity",
      service({ sessionAffinity: "Cookie" }),
      ['spec.sessionAffinity: Unsupported value: "Cookie": supported values: "ClientIP", "None"'],
    ],
  ])("rejects %s", (_, input, messages) => {
    expect(create(serviceKind, input).messages).toEqual(messages);
  });
});

describe("serviceKind update", () => {
  const old = service({ clusterIP: "10.96.0.10" });

  test("keeps an allocated clusterIP the update left out", () => {
    const { object, messages } = update(serviceKind, service(), old);
    expect(messages).toEqual([]);
    expect(object.spec.clusterIP).toBe("10.96.0.10");
    expect(object.spec.clusterIPs).toEqual(["10.96.0.10"]);
  });

  test("rejects a changed clusterIP", () => {
    expect(
      update(serviceKind, service({ clusterIP: "10.96.0.11", clusterIPs: ["10.96.0.10"] }), old)
        .messages,
    ).toEqual(['spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set']);
  });

  test("releases the clusterIP when the type becomes ExternalName", () => {
    const changed = service({
      ...old.spec,
      clusterIPs: ["10.96.0.10"],
      type: "ExternalName",
      externalName: "db.example.com",
    });
    const { object, messages } = update(serviceKind, changed, old);
    expect(messages).toEqual([]);
    expect(object.spec.clusterIP).toBeUndefined();
    expect(object.spec.ipFamilies).toBeUndefined();
  });

  test("keeps allocated node ports by port name", () => {
    const nodePortOld = service({
      type: "NodePort",
      ports: [{ name: "http", port: 80, nodePort: 30080 }],
    });
    const changed = service({ type: "NodePort", ports: [{ name: "http", port: 8080 }] });
    expect(update(serviceKind, changed, nodePortOld).object.spec.ports[0].nodePort).toBe(30080);
  });

  test("keeps the stored status", () => {
    const changed = service();
    changed.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
    expect(update(serviceKind, changed, old).object.status).toBeUndefined();
  });
});

describe("serviceKind selectableFields", () => {
  test("exposes spec.clusterIP and spec.type", () => {
    const { object } = create(serviceKind, service({ clusterIP: "10.96.0.10", type: "NodePort" }));
    expect(serviceKind.selectableFields?.(object)).toEqual({
      "spec.clusterIP": "10.96.0.10",
      "spec.type": "NodePort",
    });
  });
});
