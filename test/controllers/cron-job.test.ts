import { afterEach, describe, expect, test } from "bun:test";
import {
  CronJobController,
  jobFromTemplate,
  mostRecentScheduleTime,
} from "../../src/controllers/cron-job.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import {
  nextActivation,
  parseCronSchedule,
} from "../../src/resources/kinds/batch/cron-schedule.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

const NOW = Date.parse("2024-05-01T12:00:30Z");
const SCHEDULED = Date.parse("2024-05-01T12:00:00Z");
const JOB_NAME = `hello-${SCHEDULED / 60_000}`;

function cronJob(spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}) {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: {
      name: "hello",
      namespace: "default",
      uid: "cj-uid",
      resourceVersion: "5",
      creationTimestamp: "2024-05-01T11:58:10Z",
    },
    spec: {
      schedule: "* * * * *",
      concurrencyPolicy: "Allow",
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: { team: "a" }, annotations: { note: "x" } },
        spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c" }] } } },
      },
      ...spec,
    },
    status,
  } as KubeObject;
}

function job(name: string, finished?: "Complete" | "Failed", startTime?: string): KubeObject {
  return {
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      resourceVersion: "3",
      ownerReferences: [
        { apiVersion: "batch/v1", kind: "CronJob", name: "hello", uid: "cj-uid", controller: true },
      ],
    },
    status: {
      ...(startTime ? { startTime } : {}),
      ...(finished
        ? {
            conditions: [{ type: finished, status: "True" }],
            ...(finished === "Complete" ? { completionTime: "2024-05-01T11:59:40Z" } : {}),
          }
        : {}),
    },
  };
}

const activeRef = (name: string) => ({
  kind: "Job",
  namespace: "default",
  name,
  uid: `uid-${name}`,
  apiVersion: "batch/v1",
  resourceVersion: "3",
});

describe("CronJobController", () => {
  let controller: CronJobController | undefined;
  afterEach(() => controller?.loop.stop());

  function setUp(cronJobs: KubeObject[], jobs: KubeObject[], now = NOW) {
    const fake = new FakeClient();
    fake.respond = (action) => {
      if (action.verb === "get") return undefined;
      const body = structuredClone(action.body ?? {}) as KubeObject;
      if (action.verb === "create" && action.path.endsWith("/jobs")) {
        body.metadata = { ...body.metadata, uid: "new-uid", resourceVersion: "9" };
      }
      return body;
    };
    const client = fake.asClient();
    controller = new CronJobController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      now: () => now,
    });
    controller.cronJobs.replace(cronJobs, "1");
    controller.jobs.replace(jobs, "1");
    return { fake, controller };
  }

  const events = async (fake: FakeClient) => {
    await new Promise((resolve) => setTimeout(resolve, 10));
    return fake.actions
      .filter((a) => a.path.endsWith("/events") && a.verb === "create")
      .map((a) => `${a.body?.reason}: ${a.body?.message}`);
  };
  const writes = (fake: FakeClient) => fake.writes().filter((w) => !w.endsWith("/events"));
  const lastStatus = (fake: FakeClient) =>
    fake.actions.filter((a) => a.verb === "updateStatus").at(-1)?.body?.status as Record<
      string,
      unknown
    >;

  test("starts the Job of the most recent scheduled time and records it", async () => {
    const { fake, controller } = setUp([cronJob()], []);
    await controller.sync("default/hello");
    expect(writes(fake)).toEqual([
      "create /apis/batch/v1/namespaces/default/jobs",
      "updateStatus /apis/batch/v1/namespaces/default/cronjobs/hello",
    ]);
    const created = fake.actions[0]?.body as KubeObject;
    expect(created.metadata).toEqual({
      name: JOB_NAME,
      namespace: "default",
      labels: { team: "a" },
      annotations: {
        note: "x",
        "batch.kubernetes.io/cronjob-scheduled-timestamp": "2024-05-01T12:00:00Z",
      },
      ownerReferences: [
        {
          apiVersion: "batch/v1",
          kind: "CronJob",
          name: "hello",
          uid: "cj-uid",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(lastStatus(fake)).toEqual({
      active: [{ ...activeRef(JOB_NAME), uid: "new-uid", resourceVersion: "9" }],
      lastScheduleTime: "2024-05-01T12:00:00Z",
    });
    expect(await events(fake)).toEqual([`SuccessfulCreate: Created job ${JOB_NAME}`]);
  });

  test("does not run a scheduled time twice", async () => {
    const status = { lastScheduleTime: "2024-05-01T12:00:00Z" };
    const { fake, controller } = setUp([cronJob({}, status)], []);
    await controller.sync("default/hello");
    expect(writes(fake)).toEqual([]);
  });

  test("Forbid skips a run while a Job is active", async () => {
    const status = { active: [activeRef("hello-1")], lastScheduleTime: "2024-05-01T11:59:00Z" };
    const { fake, controller } = setUp(
      [cronJob({ concurrencyPolicy: "Forbid" }, status)],
      [job("hello-1")],
    );
    await controller.sync("default/hello");
    expect(writes(fake)).toEqual([]);
    expect(await events(fake)).toEqual([
      "JobAlreadyActive: Not starting job because prior execution is running and concurrency policy is Forbid",
    ]);
  });

  test("Replace deletes the running Job before starting the next", async () => {
    const status = { active: [activeRef("hello-1")], lastScheduleTime: "2024-05-01T11:59:00Z" };
    const { fake, controller } = setUp(
      [cronJob({ concurrencyPolicy: "Replace" }, status)],
      [job("hello-1")],
    );
    fake.respond = (action) =>
      action.verb === "get" ? job("hello-1") : structuredClone(action.body ?? {});
    await controller.sync("default/hello");
    expect(writes(fake)).toEqual([
      "delete /apis/batch/v1/namespaces/default/jobs/hello-1",
      "create /apis/batch/v1/namespaces/default/jobs",
      "updateStatus /apis/batch/v1/namespaces/default/cronjobs/hello",
    ]);
    const remove = fake.actions.find((a) => a.verb === "delete");
    expect(remove?.options).toEqual({ propagationPolicy: "Background" });
    const active = lastStatus(fake).active as { name: string }[];
    expect(active.map((ref) => ref.name)).toEqual([JOB_NAME]);
  });

  test("a time further back than startingDeadlineSeconds is not run", async () => {
    const late = setUp([cronJob({ startingDeadlineSeconds: 10 })], []);
    await late.controller.sync("default/hello");
    expect(writes(late.fake)).toEqual([]);
    await late.controller.loop.stop();
    const inTime = setUp([cronJob({ startingDeadlineSeconds: 60 })], []);
    await inTime.controller.sync("default/hello");
    expect(writes(inTime.fake)[0]).toBe("create /apis/batch/v1/namespaces/default/jobs");
  });

  test("a suspended CronJob starts nothing", async () => {
    const { fake, controller } = setUp([cronJob({ suspend: true })], []);
    await controller.sync("default/hello");
    expect(fake.actions).toEqual([]);
  });

  test("notices a finished Job: drops it from active and records the success", async () => {
    const status = { active: [activeRef("hello-1")], lastScheduleTime: "2024-05-01T12:00:00Z" };
    const { fake, controller } = setUp(
      [cronJob({}, status)],
      [job("hello-1", "Complete", "2024-05-01T11:59:00Z")],
    );
    await controller.sync("default/hello");
    expect(lastStatus(fake)).toEqual({
      active: [],
      lastScheduleTime: "2024-05-01T12:00:00Z",
      lastSuccessfulTime: "2024-05-01T11:59:40Z",
    });
    expect(await events(fake)).toEqual([
      "SawCompletedJob: Saw completed job: hello-1, condition: Complete",
    ]);
  });

  test("deletes the oldest finished Jobs beyond the history limits", async () => {
    const status = { lastScheduleTime: "2024-05-01T12:00:00Z" };
    const { fake, controller } = setUp(
      [cronJob({ successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 0 }, status)],
      [
        job("hello-2", "Complete", "2024-05-01T11:58:00Z"),
        job("hello-1", "Complete", "2024-05-01T11:57:00Z"),
        job("hello-3", "Failed", "2024-05-01T11:59:00Z"),
      ],
    );
    await controller.sync("default/hello");
    expect(writes(fake)).toEqual([
      "delete /apis/batch/v1/namespaces/default/jobs/hello-1",
      "delete /apis/batch/v1/namespaces/default/jobs/hello-3",
      "updateStatus /apis/batch/v1/namespaces/default/cronjobs/hello",
    ]);
    expect(await events(fake)).toEqual([
      "SuccessfulDelete: Deleted job hello-1",
      "SuccessfulDelete: Deleted job hello-3",
    ]);
  });

  test("forgets an active Job that no longer exists", async () => {
    const status = { active: [activeRef("hello-1")], lastScheduleTime: "2024-05-01T12:00:00Z" };
    const { fake, controller } = setUp([cronJob({}, status)], []);
    await controller.sync("default/hello");
    expect(lastStatus(fake).active).toEqual([]);
    expect(await events(fake)).toEqual(["MissingJob: Active job went missing: hello-1"]);
  });

  test("reports a Job it did not start", async () => {
    const { fake, controller } = setUp([cronJob({ suspend: true }, {})], [job("hello-manual")]);
    fake.respond = (action) => (action.verb === "get" ? cronJob() : action.body);
    await controller.sync("default/hello");
    expect(await events(fake)).toEqual([
      "UnexpectedJob: Saw a job that the controller did not create or forgot: hello-manual",
    ]);
  });
});

describe("schedule times", () => {
  const next = (spec: string, timeZone = "UTC") => {
    const parsed = parseCronSchedule(spec);
    if ("error" in parsed) throw new Error(parsed.error);
    return (after: number) => nextActivation(parsed.schedule, after, timeZone);
  };

  test("the most recent time is the last one not after now since the last run", () => {
    const result = mostRecentScheduleTime(
      cronJob({}, { lastScheduleTime: "2024-05-01T11:00:00Z" }),
      NOW,
      next("*/15 * * * *"),
      false,
    );
    expect(result).toEqual({
      earliest: Date.parse("2024-05-01T11:00:00Z"),
      mostRecent: Date.parse("2024-05-01T12:00:00Z"),
      missed: 4,
    });
  });

  test("nextActivation follows the schedule in its time zone", () => {
    const at9 = next("0 9 * * *", "America/New_York");
    expect(new Date(at9(NOW) ?? 0).toISOString()).toBe("2024-05-01T13:00:00.000Z");
    expect(next("59 23 31 2 *")(NOW)).toBeUndefined();
    expect(new Date(next("0 0 29 2 *")(NOW) ?? 0).toISOString()).toBe("2028-02-29T00:00:00.000Z");
  });

  test("the scheduled-timestamp annotation is written in the CronJob's time zone", () => {
    const zoned = jobFromTemplate(cronJob({ timeZone: "Europe/Berlin" }), SCHEDULED);
    expect(zoned.metadata?.annotations?.["batch.kubernetes.io/cronjob-scheduled-timestamp"]).toBe(
      "2024-05-01T14:00:00+02:00",
    );
  });
});
