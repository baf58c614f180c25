import { afterEach, describe, expect, test } from "bun:test";
import { JobController, type JobStatus } from "../../src/controllers/job.ts";
import {
  formatIndexes,
  generateNameWithIndex,
  parseIndexes,
} from "../../src/controllers/job-pods.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { type Action, FakeClient, RecordingLogger } from "./fake-client.ts";

const NOW = Date.parse("2024-05-01T12:00:00Z");
const TRACKING = "batch.kubernetes.io/job-tracking";

function job(spec: Record<string, unknown> = {}, status: JobStatus = {}): KubeObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "pi", namespace: "default", uid: "job-uid", resourceVersion: "10" },
    spec: {
      completions: 3,
      parallelism: 2,
      backoffLimit: 6,
      completionMode: "NonIndexed",
      template: {
        metadata: { labels: { "job-name": "pi", "batch.kubernetes.io/controller-uid": "job-uid" } },
        spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] },
      },
      ...spec,
    },
    status,
  };
}

function pod(
  name: string,
  phase: string,
  options: { finalizer?: boolean; deleting?: boolean; index?: number; ready?: boolean } = {},
): KubeObject {
  return {
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      resourceVersion: "1",
      creationTimestamp: "2024-05-01T11:00:00Z",
      ownerReferences: [
        { apiVersion: "batch/v1", kind: "Job", name: "pi", uid: "job-uid", controller: true },
      ],
      ...(options.finalizer === false ? {} : { finalizers: [TRACKING] }),
      ...(options.deleting ? { deletionTimestamp: "2024-05-01T11:59:00Z" } : {}),
      ...(options.index !== undefined
        ? { annotations: { "batch.kubernetes.io/job-completion-index": String(options.index) } }
        : {}),
    },
    spec: { nodeName: "node-1" },
    status: {
      phase,
      conditions: [{ type: "Ready", status: options.ready ? "True" : "False" }],
      containerStatuses:
        phase === "Failed" || phase === "Succeeded"
          ? [{ state: { terminated: { finishedAt: "2024-05-01T11:30:00Z" } } }]
          : [],
    },
  };
}

describe("JobController", () => {
  let controller: JobController | undefined;
  afterEach(() => controller?.loop.stop());

  function setUp(jobs: KubeObject[], pods: KubeObject[], now = NOW) {
    const fake = new FakeClient();
    let created = 0;
    let version = 10;
    fake.respond = (action) => {
      const body = structuredClone(action.body ?? {}) as KubeObject;
      if (action.verb === "create" && body.metadata?.generateName) {
        body.metadata.name = `${body.metadata.generateName}${++created}`;
      }
      if (action.verb === "updateStatus") {
        body.metadata = { ...body.metadata, resourceVersion: String(++version) };
      }
      return body;
    };
    const client = fake.asClient();
    controller = new JobController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      now: () => now,
    });
    controller.jobs.replace(jobs, "1");
    controller.pods.replace(pods, "1");
    return { fake, controller };
  }

  const statusWrites = (fake: FakeClient) =>
    fake.actions.filter((a) => a.verb === "updateStatus").map((a) => a.body?.status as JobStatus);
  const podCreates = (fake: FakeClient) =>
    fake.actions.filter((a) => a.verb === "create" && a.path.endsWith("/pods"));
  const events = async (fake: FakeClient) => {
    await new Promise((resolve) => setTimeout(resolve, 10));
    return fake.actions
      .filter((a) => a.path.endsWith("/events") && a.verb === "create")
      .map((a) => `${a.body?.reason}: ${a.body?.message}`);
  };

  test("starts `parallelism` pods with the tracking finalizer and records the start", async () => {
    const { fake, controller } = setUp([job()], []);
    await controller.sync("default/pi");
    const creates = podCreates(fake);
    expect(creates.length).toBe(2);
    const created = creates[0]?.body as KubeObject;
    expect(created.metadata?.generateName).toBe("pi-");
    expect(created.metadata?.finalizers).toEqual([TRACKING]);
    expect(created.metadata?.labels).toEqual({
      "job-name": "pi",
      "batch.kubernetes.io/controller-uid": "job-uid",
    });
    expect(created.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: "Job",
      name: "pi",
      uid: "job-uid",
      controller: true,
    });
    expect(statusWrites(fake)).toEqual([
      {
        active: 2,
        ready: 0,
        terminating: 0,
        startTime: "2024-05-01T12:00:00Z",
        uncountedTerminatedPods: {},
      },
    ]);
    expect(await events(fake)).toEqual([
      "SuccessfulCreate: Created pod: pi-1",
      "SuccessfulCreate: Created pod: pi-2",
    ]);
  });

  test("counts a finished pod through uncountedTerminatedPods before freeing it", async () => {
    const start = { startTime: "2024-05-01T11:00:00Z", active: 2, ready: 0, terminating: 0 };
    const { fake, controller } = setUp(
      [job({}, start)],
      [pod("a", "Succeeded"), pod("b", "Running")],
    );
    await controller.sync("default/pi");
    const writes = fake.actions
      .filter((a) => a.verb !== "get" && !a.path.endsWith("/events"))
      .map((a: Action) => `${a.verb} ${a.path}`);
    expect(writes).toEqual([
      "create /api/v1/namespaces/default/pods",
      "updateStatus /apis/batch/v1/namespaces/default/jobs/pi",
      "patch /api/v1/namespaces/default/pods/a",
      "updateStatus /apis/batch/v1/namespaces/default/jobs/pi",
    ]);
    const [first, second] = statusWrites(fake);
    expect(first?.uncountedTerminatedPods).toEqual({ succeeded: ["uid-a"] });
    expect(first?.succeeded).toBeUndefined();
    expect(second?.uncountedTerminatedPods).toEqual({});
    expect(second?.succeeded).toBe(1);
    expect(second?.active).toBe(2);
    const patch = fake.actions.find((a) => a.verb === "patch")?.body;
    expect(patch).toEqual({ metadata: { "$deleteFromPrimitiveList/finalizers": [TRACKING] } });
  });

  test("completes once enough pods succeeded, SuccessCriteriaMet first", async () => {
    const status = { startTime: "2024-05-01T11:00:00Z", succeeded: 2, active: 1 };
    const { fake, controller } = setUp([job({}, status)], [pod("c", "Succeeded")]);
    await controller.sync("default/pi");
    expect(podCreates(fake)).toEqual([]);
    const last = statusWrites(fake).at(-1);
    expect(last?.succeeded).toBe(3);
    expect(last?.active).toBeUndefined();
    expect(last?.completionTime).toBe("2024-05-01T12:00:00Z");
    expect(last?.conditions?.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      [
        "SuccessCriteriaMet",
        "True",
        "CompletionsReached",
        "Reached expected number of succeeded pods",
      ],
      ["Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods"],
    ]);
    expect(await events(fake)).toEqual(["Completed: Job completed"]);
  });

  test("fails after more failed pods than backoffLimit, once its pods are gone", async () => {
    const status = { startTime: "2024-05-01T11:00:00Z", failed: 1, active: 1 };
    const { fake, controller } = setUp(
      [job({ backoffLimit: 1 }, status)],
      [pod("b", "Failed"), pod("c", "Running")],
    );
    await controller.sync("default/pi");
    expect(fake.writes()).toContain("delete /api/v1/namespaces/default/pods/c");
    expect(podCreates(fake)).toEqual([]);
    const last = statusWrites(fake).at(-1);
    // Once the Job has failed, the pod it stops counts as failed too.
    expect(last?.failed).toBe(3);
    expect(last?.terminating).toBe(1);
    expect(last?.conditions?.map((c) => [c.type, c.reason])).toEqual([
      ["FailureTarget", "BackoffLimitExceeded"],
    ]);
    // Next round: the stopped pod is gone; the Job fails.
    const failing = {
      ...job({ backoffLimit: 1 }),
      status: last,
      metadata: { ...job().metadata, resourceVersion: "20" },
    };
    controller.jobs.replace([failing], "2");
    controller.pods.replace([], "2");
    fake.actions.length = 0;
    await controller.sync("default/pi");
    const final = statusWrites(fake).at(-1);
    expect(final?.failed).toBe(3);
    expect(final?.completionTime).toBeUndefined();
    expect(final?.conditions?.map((c) => [c.type, c.reason, c.message])).toEqual([
      ["FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit"],
      ["Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit"],
    ]);
    expect(await events(fake)).toEqual([
      "BackoffLimitExceeded: Job has reached the specified backoff limit",
    ]);
  });

  test("fails a Job active for longer than activeDeadlineSeconds", async () => {
    const status = { startTime: "2024-05-01T11:00:00Z", active: 1 };
    const { fake, controller } = setUp([job({ activeDeadlineSeconds: 60 }, status)], []);
    await controller.sync("default/pi");
    const conditions = statusWrites(fake).at(-1)?.conditions ?? [];
    expect(conditions.map((c) => [c.type, c.reason, c.message])).toEqual([
      ["FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline"],
      ["Failed", "DeadlineExceeded", "Job was active longer than specified deadline"],
    ]);
  });

  test("waits out the failure back-off before replacing a failed pod", async () => {
    const status = { startTime: "2024-05-01T11:00:00Z", active: 0 };
    const recent = pod("b", "Failed");
    (recent.status as { containerStatuses: unknown[] }).containerStatuses = [
      { state: { terminated: { finishedAt: "2024-05-01T11:59:58Z" } } },
    ];
    const { fake, controller } = setUp([job({ parallelism: 1 }, status)], [recent]);
    await controller.sync("default/pi");
    expect(podCreates(fake)).toEqual([]);
    expect(statusWrites(fake).at(-1)?.failed).toBe(1);
  });

  test("a suspended Job deletes its active pods and says so", async () => {
    const status = { startTime: "2024-05-01T11:00:00Z", active: 1 };
    const { fake, controller } = setUp(
      [job({ suspend: true }, status)],
      [pod("a", "Running", { ready: true })],
    );
    await controller.sync("default/pi");
    expect(fake.writes().filter((w) => !w.endsWith("/events"))).toEqual([
      "patch /api/v1/namespaces/default/pods/a",
      "delete /api/v1/namespaces/default/pods/a",
      "updateStatus /apis/batch/v1/namespaces/default/jobs/pi",
    ]);
    const last = statusWrites(fake).at(-1);
    expect(last?.active).toBeUndefined();
    expect(last?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ["Suspended", "True", "JobSuspended"],
    ]);
    expect(await events(fake)).toContain("Suspended: Job suspended");
  });

  test("an Indexed Job gives each pod its index, hostname and JOB_COMPLETION_INDEX", async () => {
    const status = { startTime: "2024-05-01T11:00:00Z", completedIndexes: "0", succeeded: 1 };
    const { fake, controller } = setUp(
      [job({ completionMode: "Indexed", completions: 4, parallelism: 2 }, status)],
      [pod("p2", "Running", { index: 2 })],
    );
    await controller.sync("default/pi");
    const created = podCreates(fake).map((a) => a.body as KubeObject);
    expect(created.length).toBe(1);
    const only = created[0] as KubeObject;
    expect(only.metadata?.generateName).toBe("pi-1-");
    expect(only.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"]).toBe("1");
    expect(only.metadata?.labels?.["batch.kubernetes.io/job-completion-index"]).toBe("1");
    const spec = only.spec as { hostname: string; containers: { env: unknown[] }[] };
    expect(spec.hostname).toBe("pi-1");
    expect(spec.containers[0]?.env).toEqual([
      {
        name: "JOB_COMPLETION_INDEX",
        valueFrom: {
          fieldRef: {
            fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
          },
        },
      },
    ]);
  });

  test("an Indexed Job records succeeded indexes in completedIndexes", async () => {
    const status = { startTime: "2024-05-01T11:00:00Z", completedIndexes: "0", succeeded: 1 };
    const { fake, controller } = setUp(
      [job({ completionMode: "Indexed", completions: 4, parallelism: 1 }, status)],
      [pod("p2", "Succeeded", { index: 2 }), pod("p3", "Running", { index: 3 })],
    );
    await controller.sync("default/pi");
    const first = statusWrites(fake)[0];
    expect(first?.completedIndexes).toBe("0,2");
    expect(first?.succeeded).toBe(2);
  });

  test("frees the pods of a deleted Job from the finalizer", async () => {
    const { fake, controller } = setUp([], [pod("a", "Running")]);
    await controller.sync("pod:default/a");
    expect(fake.writes()).toEqual(["patch /api/v1/namespaces/default/pods/a"]);
  });

  test("does nothing for a finished Job", async () => {
    const done = { conditions: [{ type: "Complete", status: "True" }], succeeded: 3 };
    const { fake, controller } = setUp([job({}, done)], []);
    await controller.sync("default/pi");
    expect(fake.actions).toEqual([]);
  });
});

describe("completed indexes", () => {
  test("format runs of three or more as ranges, as upstream", () => {
    expect(formatIndexes(new Set([0, 1, 3, 4, 5, 9]))).toBe("0,1,3-5,9");
    expect([...parseIndexes("0,1,3-5,9", 5)]).toEqual([0, 1, 3, 4]);
  });

  test("generated names keep the index when the job name is long", () => {
    expect(generateNameWithIndex("x".repeat(60), 12)).toBe(`${"x".repeat(54)}-12-`);
  });
});
