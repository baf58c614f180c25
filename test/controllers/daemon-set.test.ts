import { afterEach, describe, expect, test } from "bun:test";
import { computeHash, templatePatch } from "../../src/controllers/controller-revisions.ts";
import { DaemonSetController } from "../../src/controllers/daemon-set.ts";
import {
  daemonPodTemplate,
  daemonSetCounts,
  nodeShouldRunDaemonPod,
  planRollingUpdate,
  targetNodeName,
} from "../../src/controllers/daemon-set-pods.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

const node = (name: string, extra: { labels?: Record<string, string>; spec?: object } = {}) => ({
  metadata: { name, labels: { "kubernetes.io/hostname": name, ...extra.labels } },
  spec: extra.spec ?? {},
});

function daemonSet(spec: Record<string, unknown> = {}, generation = 1): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: {
      name: "agent",
      namespace: "ns",
      uid: "ds-uid",
      generation,
      annotations: { "deprecated.daemonset.template.generation": String(generation) },
    },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      template: {
        metadata: { labels: { app: "agent" } },
        spec: { containers: [{ name: "c", image: `busybox:${generation}` }] },
      },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
      ...spec,
    },
    status: {},
  };
}

const ready = (since = "2024-01-01T00:00:00Z") => ({
  phase: "Running",
  conditions: [{ type: "Ready", status: "True", lastTransitionTime: since }],
});

function daemonPod(name: string, nodeName: string, hash: string, status: object = ready()) {
  return {
    metadata: {
      name,
      namespace: "ns",
      uid: `${name}-uid`,
      creationTimestamp: "2024-01-01T00:00:00Z",
      labels: { app: "agent", "controller-revision-hash": hash },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "DaemonSet",
          name: "agent",
          uid: "ds-uid",
          controller: true,
        },
      ],
    },
    spec: { nodeName },
    status,
  };
}

describe("nodeShouldRunDaemonPod", () => {
  const ds = daemonSet();

  test("runs on a plain node and on a cordoned one (daemons tolerate unschedulable)", () => {
    expect(nodeShouldRunDaemonPod(ds, node("a"))).toEqual({
      shouldRun: true,
      shouldContinueRunning: true,
    });
    expect(nodeShouldRunDaemonPod(ds, node("a", { spec: { unschedulable: true } })).shouldRun).toBe(
      true,
    );
  });

  test("a NoSchedule taint stops new pods but keeps running ones; NoExecute stops both", () => {
    const noSchedule = node("a", { spec: { taints: [{ key: "k", effect: "NoSchedule" }] } });
    expect(nodeShouldRunDaemonPod(ds, noSchedule)).toEqual({
      shouldRun: false,
      shouldContinueRunning: true,
    });
    const noExecute = node("a", { spec: { taints: [{ key: "k", effect: "NoExecute" }] } });
    expect(nodeShouldRunDaemonPod(ds, noExecute)).toEqual({
      shouldRun: false,
      shouldContinueRunning: false,
    });
    const tolerating = daemonSet({
      template: {
        metadata: { labels: { app: "agent" } },
        spec: { containers: [], tolerations: [{ key: "k", operator: "Exists" }] },
      },
    });
    expect(nodeShouldRunDaemonPod(tolerating, noExecute).shouldRun).toBe(true);
  });

  test("the daemon tolerations cover not-ready and pressure taints", () => {
    const notReady = node("a", {
      spec: {
        taints: [
          { key: "node.kubernetes.io/not-ready", effect: "NoExecute" },
          { key: "node.kubernetes.io/disk-pressure", effect: "NoSchedule" },
        ],
      },
    });
    expect(nodeShouldRunDaemonPod(ds, notReady).shouldRun).toBe(true);
  });

  test("nodeSelector and required node affinity pick the nodes", () => {
    const selective = daemonSet({
      template: {
        metadata: { labels: { app: "agent" } },
        spec: {
          containers: [],
          nodeSelector: { disk: "ssd" },
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] },
                ],
              },
            },
          },
        },
      },
    });
    expect(nodeShouldRunDaemonPod(selective, node("x", { labels: { disk: "ssd" } }))).toEqual({
      shouldRun: false,
      shouldContinueRunning: false,
    });
    expect(
      nodeShouldRunDaemonPod(selective, node("x", { labels: { disk: "ssd", zone: "a" } }))
        .shouldRun,
    ).toBe(true);
  });
});

describe("daemonPodTemplate", () => {
  test("adds the daemon tolerations, network-unavailable for hostNetwork, and labels", () => {
    const ds = daemonSet({
      template: {
        metadata: { labels: { app: "agent" } },
        spec: { containers: [], hostNetwork: true },
      },
    });
    const template = daemonPodTemplate(ds, "abc");
    expect(template.metadata?.labels).toEqual({
      app: "agent",
      "controller-revision-hash": "abc",
      "pod-template-generation": "1",
    });
    const keys = (template.spec?.tolerations ?? []).map((t) => `${t.key}:${t.effect}`);
    expect(keys).toEqual([
      "node.kubernetes.io/not-ready:NoExecute",
      "node.kubernetes.io/unreachable:NoExecute",
      "node.kubernetes.io/disk-pressure:NoSchedule",
      "node.kubernetes.io/memory-pressure:NoSchedule",
      "node.kubernetes.io/pid-pressure:NoSchedule",
      "node.kubernetes.io/unschedulable:NoSchedule",
      "node.kubernetes.io/network-unavailable:NoSchedule",
    ]);
  });
});

describe("planRollingUpdate", () => {
  const nodes = [node("a"), node("b"), node("c")];
  const byNode = (pods: KubeObject[]) =>
    new Map(pods.map((p) => [targetNodeName(p) ?? "", [p]] as [string, KubeObject[]]));

  test("without surge deletes maxUnavailable old available pods", () => {
    const ds = daemonSet({}, 2);
    const pods = [
      daemonPod("p1", "a", "old"),
      daemonPod("p2", "b", "old"),
      daemonPod("p3", "c", "old"),
    ];
    expect(planRollingUpdate(ds, nodes, byNode(pods), "new").deletePods).toEqual(["p1"]);
  });

  test("waits while an updated pod is not yet available", () => {
    const ds = daemonSet({}, 2);
    const pods = [
      daemonPod("p1", "a", "new", { phase: "Pending" }),
      daemonPod("p2", "b", "old"),
      daemonPod("p3", "c", "old"),
    ];
    expect(planRollingUpdate(ds, nodes, byNode(pods), "new").deletePods).toEqual([]);
  });

  test("with surge starts new pods next to old ones, then deletes the old once available", () => {
    const ds = daemonSet(
      {
        updateStrategy: {
          type: "RollingUpdate",
          rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
        },
      },
      2,
    );
    const old = [
      daemonPod("p1", "a", "old"),
      daemonPod("p2", "b", "old"),
      daemonPod("p3", "c", "old"),
    ];
    expect(planRollingUpdate(ds, nodes, byNode(old), "new")).toEqual({
      deletePods: [],
      createOnNodes: ["a"],
    });
    const surged = byNode(old);
    surged.set("a", [daemonPod("p1", "a", "old"), daemonPod("n1", "a", "new")]);
    // Node a's replacement is available, so its old pod goes and the next node surges.
    expect(planRollingUpdate(ds, nodes, surged, "new")).toEqual({
      deletePods: ["p1"],
      createOnNodes: ["b"],
    });
  });
});

describe("daemonSetCounts", () => {
  test("counts desired, scheduled, ready, updated and misscheduled pods", () => {
    const ds = daemonSet();
    const tainted = node("t", { spec: { taints: [{ key: "k", effect: "NoSchedule" }] } });
    const pods = new Map<string, KubeObject[]>([
      ["a", [daemonPod("p1", "a", "h")]],
      ["b", [daemonPod("p2", "b", "old", { phase: "Pending" })]],
      ["t", [daemonPod("p3", "t", "h")]],
    ]);
    expect(daemonSetCounts(ds, [node("a"), node("b"), node("c"), tainted], pods, "h")).toEqual({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      numberReady: 1,
      numberAvailable: 1,
      updatedNumberScheduled: 1,
      numberUnavailable: 2,
    });
  });
});

describe("DaemonSetController", () => {
  let controller: DaemonSetController | undefined;
  afterEach(() => controller?.loop.stop());

  function setUp(
    ds: KubeObject,
    nodes: KubeObject[],
    pods: KubeObject[] = [],
    revisions: KubeObject[] = [],
  ) {
    const fake = new FakeClient();
    let created = 0;
    fake.respond = (action) => {
      if (action.verb === "create" && action.body?.metadata?.generateName) {
        const body = structuredClone(action.body);
        body.metadata = { ...body.metadata, name: `agent-${++created}` };
        return body;
      }
      return action.body ?? {};
    };
    const client = fake.asClient();
    controller = new DaemonSetController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
    });
    controller.daemonSets.replace([ds], "1");
    controller.nodes.replace(nodes, "1");
    controller.pods.replace(pods, "1");
    controller.revisions.replace(revisions as never, "1");
    return { fake, controller };
  }

  test("records a revision, then creates one pod per fitting node, pinned by node affinity", async () => {
    const tainted = node("c", { spec: { taints: [{ key: "k", effect: "NoSchedule" }] } });
    const { fake, controller } = setUp(daemonSet(), [node("a"), node("b"), tainted]);
    await controller.sync("ns/agent");
    await controller.events.flush();
    const writes = fake.writes();
    expect(writes[0]).toBe("create /apis/apps/v1/namespaces/ns/controllerrevisions");
    const revision = fake.actions[0]?.body as KubeObject;
    const hash = computeHash((daemonSet().spec as { template: object }).template, 0);
    expect(revision.metadata?.name).toBe(`agent-${hash}`);
    expect(revision.metadata?.labels).toEqual({ app: "agent", "controller-revision-hash": hash });
    expect(revision.data).toEqual(templatePatch(daemonSet()));
    expect(revision.revision).toBe(1);

    const pods = fake.actions.filter(
      (a) => a.verb === "create" && a.path === "/api/v1/namespaces/ns/pods",
    );
    expect(pods.map((a) => targetNodeName(a.body as KubeObject))).toEqual(["a", "b"]);
    const spec = pods[0]?.body?.spec as { affinity?: unknown; nodeName?: string };
    expect(spec.nodeName).toBeUndefined();
    expect(spec.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchFields: [{ key: "metadata.name", operator: "In", values: ["a"] }] },
          ],
        },
      },
    });
    expect(pods[0]?.body?.metadata?.labels?.["controller-revision-hash"]).toBe(hash);
    const events = fake.actions.filter((a) => a.path === "/api/v1/namespaces/ns/events");
    expect(events.map((e) => `${e.body?.reason} ${e.body?.message}`)).toContain(
      "SuccessfulCreate Created pod: agent-1",
    );
    const status = fake.actions.find((a) => a.verb === "updateStatus")?.body?.status;
    expect(status).toMatchObject({ desiredNumberScheduled: 2, observedGeneration: 1 });
  });

  test("deletes the pod of a node that no longer fits", async () => {
    const ds = daemonSet({
      template: {
        metadata: { labels: { app: "agent" } },
        spec: { containers: [], nodeSelector: { role: "edge" } },
      },
    });
    const hash = computeHash((ds.spec as { template: object }).template, 0);
    const revision = {
      metadata: {
        name: `agent-${hash}`,
        namespace: "ns",
        labels: { app: "agent", "controller-revision-hash": hash },
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            name: "agent",
            uid: "ds-uid",
            controller: true,
          },
        ],
      },
      data: templatePatch(ds),
      revision: 1,
    };
    const { fake, controller } = setUp(
      ds,
      [node("a", { labels: { role: "edge" } }), node("b")],
      [daemonPod("pa", "a", hash), daemonPod("pb", "b", hash)],
      [revision],
    );
    await controller.sync("ns/agent");
    expect(fake.writes().filter((w) => w.startsWith("delete"))).toEqual([
      "delete /api/v1/namespaces/ns/pods/pb",
    ]);
    expect(fake.writes().filter((w) => w.includes("/pods") || w.includes("revisions"))).toEqual([
      "delete /api/v1/namespaces/ns/pods/pb",
    ]);
  });
});
