import { describe, expect, test } from "bun:test";
import {
  findPort,
  rfc3339Nano,
  serviceSelector,
  TriggerTimeTracker,
} from "../../src/controllers/service-endpoints.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { pod, service } from "./endpoint-fixtures.ts";

describe("findPort", () => {
  const withPorts = (containers: unknown[], initContainers: unknown[] = []): KubeObject => ({
    metadata: { name: "p" },
    spec: { containers, initContainers },
  });

  test("resolves a number as itself and a name through the container ports", () => {
    const p = withPorts([{ ports: [{ name: "http", containerPort: 8080 }] }]);
    expect(findPort(p, { port: 80, targetPort: 9090 })).toBe(9090);
    expect(findPort(p, { port: 80, targetPort: "http" })).toBe(8080);
    expect(findPort(p, { port: 80, targetPort: "http", protocol: "UDP" })).toBeUndefined();
    expect(findPort(p, { port: 80, targetPort: "grpc" })).toBeUndefined();
  });

  test("finds named ports of sidecars but not of ordinary init containers", () => {
    const p = withPorts(
      [],
      [
        { restartPolicy: "Always", ports: [{ name: "proxy", containerPort: 15001 }] },
        { ports: [{ name: "setup", containerPort: 7000 }] },
      ],
    );
    expect(findPort(p, { port: 80, targetPort: "proxy" })).toBe(15001);
    expect(findPort(p, { port: 80, targetPort: "setup" })).toBeUndefined();
  });
});

describe("serviceSelector", () => {
  test("is absent for Services without a selector or of type ExternalName", () => {
    expect(serviceSelector(service("a", { selector: undefined }))).toBeUndefined();
    expect(serviceSelector(service("a", { selector: {} }))).toBeUndefined();
    expect(serviceSelector(service("a", { type: "ExternalName" }))).toBeUndefined();
    expect(serviceSelector(service("a"))?.matches({ app: "web" })).toBe(true);
  });
});

describe("TriggerTimeTracker", () => {
  test("reports the earliest change since the last sync, and nothing when none happened", () => {
    const tracker = new TriggerTimeTracker();
    const svc = service("web");
    const first = tracker.compute("default/web", svc, [pod("a", "10.0.0.1")]);
    expect(first).toBe(Date.parse("2024-01-01T00:00:00Z"));
    expect(tracker.compute("default/web", svc, [pod("a", "10.0.0.1")])).toBeUndefined();
    const later = pod("b", "10.0.0.2");
    const ready = (later.status as { conditions: { lastTransitionTime: string }[] }).conditions[0];
    if (ready) ready.lastTransitionTime = "2024-01-01T01:00:00Z";
    expect(tracker.compute("default/web", svc, [pod("a", "10.0.0.1"), later])).toBe(
      Date.parse("2024-01-01T01:00:00Z"),
    );
  });

  test("formats times as Go's RFC3339Nano", () => {
    expect(rfc3339Nano(Date.parse("2024-01-01T00:00:00Z"))).toBe("2024-01-01T00:00:00Z");
    expect(rfc3339Nano(Date.parse("2024-01-01T00:00:00.120Z"))).toBe("2024-01-01T00:00:00.12Z");
  });
});
