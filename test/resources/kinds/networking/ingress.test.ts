import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { ingressKind } from "../../../../src/resources/kinds/networking/ingress.ts";
import { created, createErrors, updated } from "../apps/kind-harness.ts";

const backend = { service: { name: "web", port: { number: 80 } } };

function ingress(
  path: Record<string, unknown> = {},
  rule: Record<string, unknown> = {},
  spec: Record<string, unknown> = {},
): KubeObject {
  return {
    metadata: { name: "web" },
    spec: {
      rules: [
        {
          host: "www.example.com",
          http: { paths: [{ path: "/", pathType: "Prefix", backend, ...path }] },
          ...rule,
        },
      ],
      ...spec,
    },
  };
}

describe("ingressKind validation", () => {
  test("accepts a host and prefix rule", () => {
    expect(createErrors(ingressKind, ingress())).toEqual([]);
  });

  test("accepts a wildcard host and an implementation-specific empty path", () => {
    const input = ingress(
      { path: undefined, pathType: "ImplementationSpecific" },
      { host: "*.example.com" },
    );
    expect(createErrors(ingressKind, input)).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    [
      "neither rules nor a default backend",
      { metadata: { name: "web" }, spec: {} },
      ["spec: Invalid value: null: either `defaultBackend` or `rules` must be specified"],
    ],
    [
      "a path without pathType",
      ingress({ pathType: undefined }),
      ["spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"],
    ],
    [
      "an unknown pathType",
      ingress({ pathType: "Regex" }),
      [
        'spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
      ],
    ],
    [
      "a relative Exact path",
      ingress({ path: "api", pathType: "Exact" }),
      ['spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path'],
    ],
    [
      "a path a proxy would normalise",
      ingress({ path: "/a//b/.." }),
      [
        `spec.rules[0].http.paths[0].path: Invalid value: "/a//b/..": must not contain '//'`,
        `spec.rules[0].http.paths[0].path: Invalid value: "/a//b/..": cannot end with '/..'`,
      ],
    ],
    [
      "an IP address as host",
      ingress({}, { host: "10.0.0.1" }),
      ['spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address'],
    ],
    [
      "a wildcard in the middle of a host",
      ingress({}, { host: "www.*.com" }),
      [
        `spec.rules[0].host: Invalid value: "www.*.com": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
    ],
    [
      "a backend without a port",
      ingress({ backend: { service: { name: "web" } } }),
      ["spec.rules[0].http.paths[0].backend: Required value: port name or number is required"],
    ],
    [
      "a backend with port name and number",
      ingress({ backend: { service: { name: "web", port: { name: "http", number: 80 } } } }),
      [
        'spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both port name & port number',
      ],
    ],
    [
      "a backend whose service name cannot be a Service's",
      ingress({ backend: { service: { name: "1web", port: { number: 80 } } } }),
      [
        `spec.rules[0].http.paths[0].backend.service.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      ],
    ],
    [
      "a port number out of range",
      ingress({ backend: { service: { name: "web", port: { number: 70000 } } } }),
      [
        "spec.rules[0].http.paths[0].backend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive",
      ],
    ],
    [
      "a backend without a target",
      ingress({ backend: {} }),
      [
        'spec.rules[0].http.paths[0].backend: Invalid value: "": resource or service backend is required',
      ],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(ingressKind, input)).toEqual(expected);
    });
  }

  test("rejects a class annotation that disagrees with ingressClassName", () => {
    const input = ingress({}, {}, { ingressClassName: "nginx" });
    input.metadata = { name: "web", annotations: { "kubernetes.io/ingress.class": "traefik" } };
    expect(createErrors(ingressKind, input)).toEqual([
      'annotations.kubernetes.io/ingress.class: Invalid value: "traefik": must match `ingressClassName` when both are specified',
    ]);
  });
});

describe("ingressKind status strategy", () => {
  test("clears status on create and keeps the stored one on update", () => {
    const stored = created(ingressKind, {
      ...ingress(),
      status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } },
    });
    expect(stored.status).toEqual({});
    stored.status = { loadBalancer: { ingress: [{ ip: "10.0.0.9" }] } };
    expect(updated(ingressKind, stored, { ...ingress(), status: {} }).status).toEqual(
      stored.status,
    );
  });
});
