import { describe, expect, test } from "bun:test";
import { podRequests } from "../../src/scheduler/resources.ts";
import type { Container, PodSpec } from "../../src/scheduler/types.ts";

const container = (cpu?: string, extra: { restartPolicy?: string } = {}): Container => ({
  name: "c",
  resources: { requests: cpu ? { cpu } : {} },
  ...extra,
});

describe("podRequests", () => {
  test("takes the largest init container when it needs more than the containers", () => {
    const spec: PodSpec = { containers: [container("100m")], initContainers: [container("500m")] };
    expect(podRequests(spec).milliCPU).toBe(500);
  });

  test("adds sidecars to the containers and to every later init container", () => {
    const sidecarFirst: PodSpec = {
      containers: [container("100m")],
      initContainers: [container("200m", { restartPolicy: "Always" }), container("500m")],
    };
    // The init container runs next to the sidecar started before it: 700m at peak.
    expect(podRequests(sidecarFirst).milliCPU).toBe(700);
    const sidecarLast: PodSpec = {
      containers: [container("100m")],
      initContainers: [container("500m"), container("200m", { restartPolicy: "Always" })],
    };
    // The init container ran alone; afterwards containers and the sidecar: max(500, 300).
    expect(podRequests(sidecarLast).milliCPU).toBe(500);
  });

  test("adds the overhead and counts memory in bytes", () => {
    const spec: PodSpec = {
      containers: [{ name: "c", resources: { requests: { cpu: "1", memory: "1Gi" } } }],
      overhead: { cpu: "250m", memory: "1Mi" },
    };
    const requests = podRequests(spec);
    expect(requests.milliCPU).toBe(1250);
    expect(requests.memory).toBe(1024 ** 3 + 1024 ** 2);
  });

  test("counts extended resources and, for scoring, defaults for containers asking nothing", () => {
    const spec: PodSpec = {
      containers: [
        { name: "a", resources: { requests: { "example.com/gpu": "2" } } },
        { name: "b", resources: { requests: { cpu: "300m" } } },
      ],
    };
    expect(podRequests(spec).getScalar("example.com/gpu")).toBe(2);
    const nonZero = podRequests(spec, true);
    expect(nonZero.milliCPU).toBe(400);
    expect(nonZero.memory).toBe(2 * 200 * 1024 * 1024);
  });
});
