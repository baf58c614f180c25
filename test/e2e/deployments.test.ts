/**
 * The Deployment lab with real kubectl against a server with three hollow nodes (pods
 * turn Running and Ready at once): create, scale, set image, rollout status, history,
 * undo, pause/resume and restart; ReplicaSets replacing, adopting and releasing pods;
 * ReplicationControllers; cascading deletion of a Deployment.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { kubectlBinaries, startCluster, type TestCluster } from "../support/cluster.ts";
import { startHollow, stopHollow } from "../support/hollow.ts";
import type { KubunProcess } from "../support/kubun-process.ts";
import { until } from "../support/until.ts";

let cluster: TestCluster;
let hollow: KubunProcess | undefined;

beforeAll(async () => {
  cluster = await startCluster();
  hollow = await startHollow(cluster, { count: 3, namePrefix: "deploy-node-" });
}, 90_000);

afterAll(async () => {
  await stopHollow(hollow);
  await cluster?.stop();
});

interface Meta {
  name: string;
  uid: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  deletionTimestamp?: string;
}
interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Workload {
  metadata: Meta;
  spec: {
    replicas: number;
    paused?: boolean;
    template: {
      metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: { containers: { image: string }[] };
    };
  };
  status: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    observedGeneration?: number;
    conditions?: Condition[];
  };
}
interface Pod {
  metadata: Meta;
  spec: { nodeName?: string; containers: { image: string }[] };
  status: { phase?: string };
}

async function get<T>(args: string[]): Promise<T> {
  return JSON.parse(await cluster.ok(["get", ...args, "-o", "json"])) as T;
}

/** The live (not terminating) pods with `selector`. */
async function livePods(selector: string): Promise<Pod[]> {
  const list = await get<{ items: Pod[] }>(["pods", "-l", selector]);
  return list.items.filter((pod) => !pod.metadata.deletionTimestamp);
}

async function replicaSetsOf(deployment: string): Promise<Workload[]> {
  const d = await get<Workload>(["deployment", deployment]);
  const list = await get<{ items: Workload[] }>(["replicasets"]);
  return list.items.filter((rs) =>
    rs.metadata.ownerReferences?.some((o) => o.uid === d.metadata.uid),
  );
}

/** Waits until `selector` has exactly `count` live pods, all Running on a node. */
function podsRunning(selector: string, count: number): Promise<Pod[]> {
  return until(`${count} running pods for ${selector}`, async () => {
    const pods = await livePods(selector);
    const running = pods.filter((p) => p.status.phase === "Running" && p.spec.nodeName);
    return pods.length === count && running.length === count ? pods : undefined;
  });
}

function expectRolledOut(result: string, name: string): void {
  expect(result).toContain(`deployment "${name}" successfully rolled out`);
}

const rolloutStatus = (name: string, binary?: string) =>
  cluster.ok(["rollout", "status", `deployment/${name}`, "--timeout=60s"], { binary });

const revisionOf = (object: Workload) =>
  object.metadata.annotations?.["deployment.kubernetes.io/revision"];

/**
 * The events about an object ("Reason message", oldest first) once each of `expected`
 * (an exact line or a pattern) is among them: events are written after what they report.
 */
function eventsFor(kind: string, name: string, expected: (string | RegExp)[]): Promise<string[]> {
  return until(`events ${expected.join(", ")} about ${kind} ${name}`, async () => {
    const events = await get<{ items: { reason: string; message: string }[] }>([
      "events",
      "--field-selector",
      `involvedObject.kind=${kind},involvedObject.name=${name}`,
    ]);
    const lines = events.items.map((e) => `${e.reason} ${e.message}`);
    const seen = (want: string | RegExp) =>
      lines.some((line) => (typeof want === "string" ? line === want : want.test(line)));
    return expected.every(seen) ? lines : undefined;
  });
}

describe("Deployments", () => {
  test("a Deployment of 3 runs 3 ready pods, scales to 5 and back to 2", async () => {
    await cluster.ok(["create", "deployment", "web", "--image=nginx:1.0", "--replicas=3"]);
    expectRolledOut(await rolloutStatus("web"), "web");
    const pods = await podsRunning("app=web", 3);
    const [rs] = await replicaSetsOf("web");
    if (!rs) throw new Error("no ReplicaSet for web");
    const hash = rs.metadata.labels?.["pod-template-hash"] ?? "";
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(revisionOf(rs)).toBe("1");
    for (const pod of pods) {
      expect(pod.metadata.labels?.["pod-template-hash"]).toBe(hash);
      expect(pod.metadata.ownerReferences?.[0]).toMatchObject({
        kind: "ReplicaSet",
        name: rs.metadata.name,
      });
    }
    const d = await get<Workload>(["deployment", "web"]);
    expect(revisionOf(d)).toBe("1");
    expect(d.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      updatedReplicas: 3,
    });
    expect(d.status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual(
      expect.arrayContaining([
        ["Available", "True", "MinimumReplicasAvailable"],
        ["Progressing", "True", "NewReplicaSetAvailable"],
      ]),
    );

    await cluster.ok(["scale", "deployment/web", "--replicas=5"]);
    await podsRunning("app=web", 5);
    await cluster.ok(["scale", "deployment/web", "--replicas=2"]);
    await podsRunning("app=web", 2);
    expectRolledOut(await rolloutStatus("web"), "web");
    await eventsFor("Deployment", "web", [
      `ScalingReplicaSet Scaled up replica set ${rs.metadata.name} from 0 to 3`,
      `ScalingReplicaSet Scaled up replica set ${rs.metadata.name} from 3 to 5`,
      `ScalingReplicaSet Scaled down replica set ${rs.metadata.name} from 5 to 2`,
    ]);
    await eventsFor("ReplicaSet", rs.metadata.name, [
      /^SuccessfulCreate Created pod: web-/,
      /^SuccessfulDelete Deleted pod: web-/,
    ]);
  });

  test("set image rolls out a new ReplicaSet; history and undo bring revision 1 back as 3", async () => {
    const [first] = await replicaSetsOf("web");
    await cluster.ok(["set", "image", "deployment/web", "nginx=nginx:2.0"]);
    expectRolledOut(await rolloutStatus("web"), "web");
    const sets = await replicaSetsOf("web");
    expect(sets).toHaveLength(2);
    const old = sets.find((rs) => rs.metadata.uid === first?.metadata.uid);
    const next = sets.find((rs) => rs.metadata.uid !== first?.metadata.uid);
    expect(old?.spec.replicas).toBe(0);
    expect(next?.spec.replicas).toBe(2);
    expect(next && revisionOf(next)).toBe("2");
    const pods = await podsRunning("app=web", 2);
    expect(pods.map((p) => p.spec.containers[0]?.image)).toEqual(["nginx:2.0", "nginx:2.0"]);

    await cluster.ok(["annotate", "deployment/web", "kubernetes.io/change-cause=image 2.0"]);
    const history = await until("the change cause in the history", async () => {
      const text = await cluster.ok(["rollout", "history", "deployment/web"]);
      return text.includes("image 2.0") ? text : undefined;
    });
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+image 2\.0\n/);
    expect(await cluster.ok(["rollout", "history", "deployment/web", "--revision=2"])).toContain(
      "Image:\tnginx:2.0",
    );

    await cluster.ok(["rollout", "undo", "deployment/web"]);
    expectRolledOut(await rolloutStatus("web"), "web");
    const d = await get<Workload>(["deployment", "web"]);
    expect(d.spec.template.spec.containers[0]?.image).toBe("nginx:1.0");
    expect(revisionOf(d)).toBe("3");
    const after = await replicaSetsOf("web");
    expect(after).toHaveLength(2);
    const restored = after.find((rs) => rs.metadata.uid === first?.metadata.uid);
    expect(restored && revisionOf(restored)).toBe("3");
    expect(restored?.metadata.annotations?.["deployment.kubernetes.io/revision-history"]).toBe("1");
    expect(restored?.spec.replicas).toBe(2);
    expect(await cluster.ok(["rollout", "history", "deployment/web"])).toMatch(
      /\n2\s+image 2\.0\n3\s+<none>/,
    );
    const images = (await podsRunning("app=web", 2)).map((p) => p.spec.containers[0]?.image);
    expect(images).toEqual(["nginx:1.0", "nginx:1.0"]);
  });

  test("a paused Deployment rolls out nothing until resumed; restart makes a new ReplicaSet", async () => {
    await cluster.ok(["rollout", "pause", "deployment/web"]);
    await cluster.ok(["set", "image", "deployment/web", "nginx=nginx:3.0"]);
    const paused = await until("the paused change observed", async () => {
      const d = await get<Workload>(["deployment", "web"]);
      const progressing = d.status.conditions?.find((c) => c.type === "Progressing");
      return d.status.observedGeneration === d.metadata.generation &&
        progressing?.reason === "DeploymentPaused"
        ? d
        : undefined;
    });
    expect(paused.spec.paused).toBe(true);
    expect(await replicaSetsOf("web")).toHaveLength(2);
    const images = (await livePods("app=web")).map((p) => p.spec.containers[0]?.image);
    expect(images).toEqual(["nginx:1.0", "nginx:1.0"]);

    await cluster.ok(["rollout", "resume", "deployment/web"]);
    expectRolledOut(await rolloutStatus("web"), "web");
    expect(await replicaSetsOf("web")).toHaveLength(3);
    expect((await podsRunning("app=web", 2)).map((p) => p.spec.containers[0]?.image)).toEqual([
      "nginx:3.0",
      "nginx:3.0",
    ]);

    await cluster.ok(["rollout", "restart", "deployment/web"]);
    expectRolledOut(await rolloutStatus("web"), "web");
    const sets = await replicaSetsOf("web");
    expect(sets).toHaveLength(4);
    const newest = sets.find((rs) => revisionOf(rs) === "5");
    expect(
      newest?.spec.template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"],
    ).toBeDefined();
    expect(newest?.spec.replicas).toBe(2);
  });

  test("kubectl 1.27 reads rollout status and undoes to a chosen revision", async () => {
    const v127 = kubectlBinaries.v127;
    await cluster.ok(["rollout", "undo", "deployment/web", "--to-revision=4"], { binary: v127 });
    expectRolledOut(await rolloutStatus("web", v127), "web");
    const d = await get<Workload>(["deployment", "web"]);
    expect(d.spec.template.spec.containers[0]?.image).toBe("nginx:3.0");
    expect(
      d.spec.template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"],
    ).toBeUndefined();
    expect(revisionOf(d)).toBe("6");
    expect(await replicaSetsOf("web")).toHaveLength(4);
  });

  test("a Recreate Deployment stops every old pod before starting new ones", async () => {
    await cluster.ok(["create", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "batch" },
        spec: {
          replicas: 2,
          strategy: { type: "Recreate" },
          selector: { matchLabels: { app: "batch" } },
          template: {
            metadata: { labels: { app: "batch" } },
            spec: { containers: [{ name: "worker", image: "busybox:1" }] },
          },
        },
      }),
    });
    expectRolledOut(await rolloutStatus("batch"), "batch");
    await cluster.ok(["set", "image", "deployment/batch", "worker=busybox:2"]);
    expectRolledOut(await rolloutStatus("batch"), "batch");
    const pods = await podsRunning("app=batch", 2);
    expect(pods.map((p) => p.spec.containers[0]?.image)).toEqual(["busybox:2", "busybox:2"]);
    const downPattern = /Scaled down replica set batch-\w+ from 2 to 0/;
    const upPattern = /Scaled up replica set batch-\w+ from 0 to 2/;
    const events = await eventsFor("Deployment", "batch", [downPattern]);
    // Recreate goes straight from 2 to 0, and only then brings the new ReplicaSet to 2.
    const down = events.findIndex((e) => downPattern.test(e));
    const up = await until("the new ReplicaSet scaled up", async () => {
      const lines = await eventsFor("Deployment", "batch", [downPattern]);
      const index = lines.findIndex((e, i) => i > down && upPattern.test(e));
      return index >= 0 ? index : undefined;
    });
    expect(down).toBeGreaterThan(0);
    expect(up).toBeGreaterThan(down);
  });

  test("deleting a Deployment orphans, or removes in the background or foreground, its ReplicaSets and pods", async () => {
    for (const name of ["orphan", "bg", "fg"]) {
      await cluster.ok(["create", "deployment", name, "--image=busybox", "--replicas=1"]);
    }
    for (const name of ["orphan", "bg", "fg"]) await podsRunning(`app=${name}`, 1);

    const [orphanRs] = await replicaSetsOf("orphan");
    await cluster.ok(["delete", "deployment", "orphan", "--cascade=orphan"]);
    const kept = await until("the orphaned ReplicaSet released", async () => {
      const rs = await get<Workload>(["replicaset", orphanRs?.metadata.name ?? ""]);
      return rs.metadata.ownerReferences?.length ? undefined : rs;
    });
    expect(kept.status.replicas).toBe(1);
    const [orphanPod] = await livePods("app=orphan");
    expect(orphanPod?.metadata.ownerReferences?.[0]?.name).toBe(orphanRs?.metadata.name);

    await cluster.ok(["delete", "deployment", "bg", "--cascade=background"]);
    await cluster.ok(["delete", "deployment", "fg", "--cascade=foreground"]);
    for (const name of ["bg", "fg"]) {
      await until(`${name}'s ReplicaSets and pods gone`, async () => {
        const sets = await get<{ items: Workload[] }>(["replicasets", "-l", `app=${name}`]);
        const pods = await get<{ items: Pod[] }>(["pods", "-l", `app=${name}`]);
        return sets.items.length + pods.items.length === 0 ? true : undefined;
      });
    }
  });
});

describe("ReplicaSets and ReplicationControllers", () => {
  const replicaSet = (name: string, replicas: number) =>
    JSON.stringify({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: "c", image: "busybox" }] },
        },
      },
    });

  test("a ReplicaSet adopts a matching pod, replaces a deleted one and releases a relabelled one", async () => {
    await cluster.ok(["run", "stray", "--image=busybox", "--labels=app=keeper"]);
    await podsRunning("app=keeper", 1);
    await cluster.ok(["create", "-f", "-"], { input: replicaSet("keeper", 2) });
    const pods = await podsRunning("app=keeper", 2);
    const rs = await get<Workload>(["replicaset", "keeper"]);
    for (const pod of pods) expect(pod.metadata.ownerReferences?.[0]?.uid).toBe(rs.metadata.uid);
    expect(pods.map((p) => p.metadata.name)).toContain("stray");

    await cluster.ok(["delete", "pod", "stray", "--wait=false"]);
    const replaced = await podsRunning("app=keeper", 2);
    expect(replaced.map((p) => p.metadata.name)).not.toContain("stray");

    const relabelled = replaced[0]?.metadata.name ?? "";
    await cluster.ok(["label", "pod", relabelled, "app=elsewhere", "--overwrite"]);
    const released = await until("the relabelled pod released", async () => {
      const pod = await get<Pod>(["pod", relabelled]);
      return pod.metadata.ownerReferences?.length ? undefined : pod;
    });
    expect(released.metadata.labels?.app).toBe("elsewhere");
    await podsRunning("app=keeper", 2);
    const status = await until("the ReplicaSet's status", async () => {
      const current = await get<Workload>(["replicaset", "keeper"]);
      return current.status.readyReplicas === 2 && current.status.replicas === 2
        ? current.status
        : undefined;
    });
    expect(status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2 });
    await eventsFor("ReplicaSet", "keeper", [/^SuccessfulCreate Created pod: keeper-/]);
  });

  test("a ReplicationController creates its pods and follows kubectl scale", async () => {
    await cluster.ok(["create", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "ReplicationController",
        metadata: { name: "legacy" },
        spec: {
          replicas: 2,
          selector: { app: "legacy" },
          template: {
            metadata: { labels: { app: "legacy" } },
            spec: { containers: [{ name: "c", image: "busybox" }] },
          },
        },
      }),
    });
    const pods = await podsRunning("app=legacy", 2);
    expect(pods[0]?.metadata.ownerReferences?.[0]).toMatchObject({
      kind: "ReplicationController",
      name: "legacy",
      controller: true,
    });
    await cluster.ok(["scale", "rc/legacy", "--replicas=3"]);
    await podsRunning("app=legacy", 3);
    const rc = await until("the controller's status", async () => {
      const current = await get<Workload>(["rc", "legacy"]);
      return current.status.readyReplicas === 3 ? current : undefined;
    });
    expect(rc.status.observedGeneration).toBe(rc.metadata.generation);
  });
});
