import { afterEach, describe, expect, test } from "bun:test";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import {
  matchingTolerations,
  minTolerationMs,
  TaintEvictionController,
  type Toleration,
  tolerates,
} from "../../src/controllers/taint-eviction.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

const unreachable = { key: "node.kubernetes.io/unreachable", effect: "NoExecute" };

describe("tolerations", () => {
  test("match by key, value and effect as upstream", () => {
    expect(
      tolerates({ key: "k", operator: "Exists" }, { key: "k", value: "v", effect: "NoExecute" }),
    ).toBe(true);
    expect(tolerates({ operator: "Exists" }, unreachable)).toBe(true);
    expect(
      tolerates({ key: "k", value: "v" }, { key: "k", value: "v", effect: "NoSchedule" }),
    ).toBe(true);
    expect(
      tolerates({ key: "k", value: "w" }, { key: "k", value: "v", effect: "NoSchedule" }),
    ).toBe(false);
    expect(
      tolerates({ key: unreachable.key, operator: "Exists", effect: "NoSchedule" }, unreachable),
    ).toBe(false);
  });

  test("every taint needs a toleration; the shortest tolerationSeconds wins", () => {
    const taints = [unreachable, { key: "gpu", effect: "NoExecute" }];
    const forever: Toleration = { key: "gpu", operator: "Exists" };
    const brief: Toleration = { key: unreachable.key, operator: "Exists", tolerationSeconds: 2 };
    expect(matchingTolerations(taints, [brief])).toBeUndefined();
    const used = matchingTolerations(taints, [forever, brief]) ?? [];
    expect(used).toEqual([brief, forever]);
    expect(minTolerationMs(used)).toBe(2000);
    expect(minTolerationMs([forever])).toBe(-1);
    expect(minTolerationMs([{ ...brief, tolerationSeconds: -5 }])).toBe(0);
  });
});

describe("TaintEvictionController", () => {
  let controller: TaintEvictionController | undefined;
  afterEach(() => controller?.loop.stop());

  const node = (taints: unknown[]): KubeObject => ({
    metadata: { name: "n1", resourceVersion: String(taints.length + 1) },
    spec: { taints },
  });
  const pod = (name: string, tolerations: Toleration[] = []): KubeObject => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", uid: `uid-${name}`, resourceVersion: "1" },
    spec: { nodeName: "n1", tolerations },
    status: { phase: "Running" },
  });

  function setUp(nodes: KubeObject[], pods: KubeObject[]) {
    const fake = new FakeClient();
    const client = fake.asClient();
    const clock = { now: 1_000_000 };
    controller = new TaintEvictionController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      now: () => clock.now,
    });
    controller.nodes.replace(nodes, "1");
    controller.pods.replace(pods, "1");
    const writes = () =>
      fake.actions.filter((a) => !a.path.endsWith("/events")).map((a) => `${a.verb} ${a.path}`);
    const messages = () =>
      fake.actions.filter((a) => a.path.endsWith("/events")).map((a) => a.body?.message);
    return { fake, controller, clock, writes, messages };
  }

  test("deletes a pod that does not tolerate the taint at once, marking it first", async () => {
    const { fake, controller, writes, messages } = setUp([node([unreachable])], [pod("web")]);
    await controller.sync("default/web");
    await controller.recorder.flush();
    expect(writes()).toEqual([
      "patch /api/v1/namespaces/default/pods/web/status",
      "delete /api/v1/namespaces/default/pods/web",
    ]);
    expect(fake.actions[0]?.body).toMatchObject({
      status: {
        conditions: [
          { type: "DisruptionTarget", status: "True", reason: "DeletionByTaintManager" },
        ],
      },
    });
    expect(fake.actions.find((a) => a.verb === "delete")?.options).toEqual({
      preconditions: { uid: "uid-web" },
    });
    expect(messages()).toEqual(["Marking for deletion Pod default/web"]);
  });

  test("waits tolerationSeconds, and cancels when the taint goes", async () => {
    const tolerant = pod("web", [
      { key: unreachable.key, operator: "Exists", tolerationSeconds: 2 },
    ]);
    const { controller, clock, writes, messages } = setUp([node([unreachable])], [tolerant]);
    await controller.sync("default/web");
    clock.now += 1_999;
    await controller.sync("default/web");
    expect(writes()).toEqual([]);
    clock.now += 1;
    await controller.sync("default/web");
    expect(writes()).toEqual([
      "patch /api/v1/namespaces/default/pods/web/status",
      "delete /api/v1/namespaces/default/pods/web",
    ]);

    const other = setUp([node([unreachable])], [tolerant]);
    await other.controller.sync("default/web");
    other.controller.nodes.replace([node([])], "2");
    await other.controller.sync("default/web");
    other.clock.now += 5_000;
    await other.controller.sync("default/web");
    await other.controller.recorder.flush();
    await controller.recorder.flush();
    expect(other.writes()).toEqual([]);
    expect(other.messages()).toEqual(["Cancelling deletion of Pod default/web"]);
    expect(messages()).toEqual(["Marking for deletion Pod default/web"]);
  });

  test("leaves pods that tolerate the taint forever, and pods on clean nodes", async () => {
    const forever = pod("web", [{ operator: "Exists" }]);
    const { controller, writes } = setUp(
      [node([{ key: "x", effect: "NoSchedule" }])],
      [pod("a"), forever],
    );
    controller.nodes.replace([node([unreachable, { key: "x", effect: "NoSchedule" }])], "2");
    await controller.sync("default/web");
    await controller.sync("default/missing");
    expect(writes()).toEqual([]);
  });
});
