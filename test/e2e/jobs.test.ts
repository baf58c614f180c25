/**
 * Jobs and CronJobs end to end on the server's own node agent (busybox runs the host's
 * sh), with real kubectl: a Job with completions 3 and parallelism 2 completes; a
 * failing Job stops at its backoff limit; a Job with ttlSecondsAfterFinished 0 is
 * removed once done; a CronJob runs a Job at the next minute, and `kubectl create job
 * --from=cronjob` runs one by hand.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { until } from "../support/until.ts";

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface JobJson {
  metadata: {
    name: string;
    uid: string;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  status: {
    succeeded?: number;
    failed?: number;
    active?: number;
    completionTime?: string;
    conditions?: Condition[];
  };
}

interface PodList {
  items: { metadata: { name: string; finalizers?: string[] }; status: { phase?: string } }[];
}

let cluster: TestCluster;

function job(name: string, script: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: "default" },
    spec: {
      ...spec,
      template: {
        spec: {
          restartPolicy: "Never",
          terminationGracePeriodSeconds: 1,
          containers: [{ name: "main", image: "busybox", command: ["sh", "-c", script] }],
        },
      },
    },
  };
}

const apply = (object: unknown) =>
  cluster.ok(["apply", "-f", "-"], { input: JSON.stringify(object) });

async function getJob(name: string): Promise<JobJson> {
  return JSON.parse(await cluster.ok(["get", "job", name, "-o", "json"])) as JobJson;
}

async function jobPods(name: string): Promise<PodList> {
  return JSON.parse(
    await cluster.ok(["get", "pods", "-l", `batch.kubernetes.io/job-name=${name}`, "-o", "json"]),
  ) as PodList;
}

beforeAll(async () => {
  cluster = await startCluster({ agent: true });
  await until("the node to be Ready", async () => {
    const out = await cluster.ok(["get", "nodes", "--no-headers"]);
    return / Ready /.test(out) ? out : undefined;
  });
  // First, so that its wait for the next minute overlaps the other tests.
  await cluster.ok([
    "create",
    "cronjob",
    "tick",
    "--image=busybox",
    "--schedule=* * * * *",
    "--",
    "sh",
    "-c",
    "exit 0",
  ]);
}, 60_000);

afterAll(async () => {
  if (cluster) {
    // Pods still on the node keep their volumes mounted under the data directory.
    await cluster.kubectl(["delete", "cronjob", "tick", "--wait=true"]);
    await cluster.kubectl(["delete", "jobs", "--all", "--wait=true"]);
    await until("the Jobs' pods to be gone", async () => {
      const out = await cluster.ok(["get", "pods", "--no-headers", "--ignore-not-found"]);
      return out.trim() === "" ? true : undefined;
    });
  }
  await cluster?.stop();
}, 60_000);

describe("Jobs", () => {
  test("a Job with completions 3 and parallelism 2 completes", async () => {
    await apply(job("three", "exit 0", { completions: 3, parallelism: 2 }));
    await cluster.ok(["wait", "--for=condition=complete", "job/three", "--timeout=60s"]);
    expect(await cluster.ok(["get", "job", "three", "--no-headers"])).toMatch(
      /^three\s+Complete\s+3\/3\s/,
    );
    const done = await getJob("three");
    expect(done.status.succeeded).toBe(3);
    expect(done.status.completionTime).toBeDefined();
    expect(done.status.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      "SuccessCriteriaMet=True",
      "Complete=True",
    ]);
    // Counted pods are freed of the tracking finalizer.
    const pods = await jobPods("three");
    expect(pods.items.map((p) => p.status.phase)).toEqual(["Succeeded", "Succeeded", "Succeeded"]);
    expect(pods.items.flatMap((p) => p.metadata.finalizers ?? [])).toEqual([]);
    const events = await cluster.ok([
      "get",
      "events",
      "--field-selector",
      "involvedObject.name=three",
      "-o",
      "custom-columns=REASON:.reason",
      "--no-headers",
    ]);
    expect(events).toContain("SuccessfulCreate");
    expect(events).toContain("Completed");
  }, 70_000);

  test("a failing Job stops after backoffLimit + 1 failed pods", async () => {
    await apply(job("broken", "exit 1", { backoffLimit: 1 }));
    await cluster.ok(["wait", "--for=condition=failed", "job/broken", "--timeout=60s"]);
    const failed = await getJob("broken");
    expect(failed.status.failed).toBe(2);
    const condition = failed.status.conditions?.find((c) => c.type === "Failed");
    expect(condition).toMatchObject({
      status: "True",
      reason: "BackoffLimitExceeded",
      message: "Job has reached the specified backoff limit",
    });
    const pods = await jobPods("broken");
    expect(pods.items.map((p) => p.status.phase)).toEqual(["Failed", "Failed"]);
  }, 70_000);

  test("a finished Job with ttlSecondsAfterFinished 0 is deleted", async () => {
    await apply(job("ephemeral", "exit 0", { ttlSecondsAfterFinished: 0 }));
    await until("the finished Job to be deleted", async () => {
      const result = await cluster.kubectl(["get", "job", "ephemeral", "--ignore-not-found"]);
      return result.code === 0 && result.stdout.trim() === "" ? true : undefined;
    });
    const events = await cluster.ok([
      "get",
      "events",
      "--field-selector",
      "involvedObject.name=ephemeral",
      "-o",
      "custom-columns=REASON:.reason",
      "--no-headers",
    ]);
    expect(events).toContain("Completed");
  }, 60_000);
});

describe("CronJobs", () => {
  test("kubectl create job --from=cronjob runs the CronJob's template now", async () => {
    await cluster.ok(["create", "job", "by-hand", "--from=cronjob/tick"]);
    await cluster.ok(["wait", "--for=condition=complete", "job/by-hand", "--timeout=60s"]);
    const manual = await getJob("by-hand");
    expect(manual.metadata.ownerReferences?.[0]).toMatchObject({ kind: "CronJob", name: "tick" });
  }, 70_000);

  test("a CronJob scheduled every minute starts a Job", async () => {
    const scheduled = await until(
      "the CronJob's first Job",
      async () => {
        const list = JSON.parse(await cluster.ok(["get", "jobs", "-o", "json"])) as {
          items: JobJson[];
        };
        return list.items.find((j) => /^tick-\d+$/.test(j.metadata.name));
      },
      75_000,
      1000,
    );
    const minutes = Number(scheduled.metadata.name.slice("tick-".length));
    const timestamp =
      scheduled.metadata.annotations?.["batch.kubernetes.io/cronjob-scheduled-timestamp"];
    expect(Date.parse(timestamp ?? "")).toBe(minutes * 60_000);
    expect(scheduled.metadata.ownerReferences?.[0]).toMatchObject({
      kind: "CronJob",
      name: "tick",
      controller: true,
    });
    const cronJob = JSON.parse(await cluster.ok(["get", "cronjob", "tick", "-o", "json"])) as {
      status: { lastScheduleTime?: string };
    };
    expect(Date.parse(cronJob.status.lastScheduleTime ?? "")).toBeGreaterThanOrEqual(
      minutes * 60_000,
    );
  }, 80_000);
});
