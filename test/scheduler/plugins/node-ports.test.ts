import { describe, expect, test } from "bun:test";
import { CycleState } from "../../../src/scheduler/framework.ts";
import { NodePorts } from "../../../src/scheduler/plugins/node-ports.ts";
import { Code, Status } from "../../../src/scheduler/status.ts";
import { cacheWith, info, node, pod } from "../fixtures.ts";

const withPort = (name: string, port: Record<string, unknown>, nodeName?: string) =>
  pod(name, {
    nodeName,
    spec: {
      containers: [{ name: "c", image: "busybox", ports: [{ containerPort: 80, ...port }] }],
    },
  });

describe("NodePorts", () => {
  const cache = cacheWith(
    [node("a")],
    [
      withPort("web", { hostPort: 8080 }, "a"),
      withPort("dns", { hostPort: 53, protocol: "UDP", hostIP: "10.0.0.1" }, "a"),
    ],
  );
  const a = cache.getNode("a");
  const plugin = new NodePorts();
  const check = (port: Record<string, unknown>) => {
    if (!a) throw new Error("no node");
    const p = info(withPort("p", port));
    return plugin.filter(new CycleState(), p, a);
  };

  test("the same host port and protocol conflicts", () => {
    const status = check({ hostPort: 8080 });
    expect(status?.reasons).toEqual(["node(s) didn't have free ports for the requested pod ports"]);
    expect(status?.code).toBe(Code.Unschedulable);
  });

  test("another protocol or port does not", () => {
    expect(check({ hostPort: 8080, protocol: "UDP" })).toBeUndefined();
    expect(check({ hostPort: 8081 })).toBeUndefined();
  });

  test("0.0.0.0 conflicts with any address; distinct addresses do not conflict", () => {
    expect(check({ hostPort: 53, protocol: "UDP" })).toBeDefined();
    expect(check({ hostPort: 53, protocol: "UDP", hostIP: "10.0.0.1" })).toBeDefined();
    expect(check({ hostPort: 53, protocol: "UDP", hostIP: "10.0.0.2" })).toBeUndefined();
    expect(check({ hostPort: 8080, hostIP: "10.0.0.2" })).toBeDefined();
  });

  test("pods without host ports skip the plugin; removing the pod frees the port", () => {
    expect(plugin.preFilter(new CycleState(), info(pod("plain")))).toBe(Status.skip);
    cache.removePod(withPort("web", {}, "a"));
    expect(check({ hostPort: 8080 })).toBeUndefined();
  });
});
