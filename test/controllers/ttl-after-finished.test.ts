import { afterEach, describe, expect, test } from "bun:test";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import { TtlAfterFinishedController } from "../../src/controllers/ttl-after-finished.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { FakeClient, RecordingLogger } from "./fake-client.ts";

const NOW = Date.parse("2024-05-01T12:00:00Z");

function job(ttl: number | undefined, finishedAt?: string, uid = "job-uid"): KubeObject {
  return {
    metadata: { name: "pi", namespace: "default", uid, resourceVersion: "3" },
    spec: ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl },
    status: finishedAt
      ? { conditions: [{ type: "Complete", status: "True", lastTransitionTime: finishedAt }] }
      : {},
  };
}

describe("TtlAfterFinishedController", () => {
  let controller: TtlAfterFinishedController | undefined;
  afterEach(() => controller?.loop.stop());

  function setUp(cached: KubeObject, fresh: KubeObject | undefined = cached) {
    const fake = new FakeClient();
    fake.respond = (action) => (action.verb === "get" ? fresh : (action.body ?? {}));
    const client = fake.asClient();
    controller = new TtlAfterFinishedController({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      log: new RecordingLogger(),
      now: () => NOW,
    });
    controller.jobs.replace([cached], "1");
    return { fake, controller };
  }

  test("deletes a finished Job whose TTL has run out, in the foreground", async () => {
    const { fake, controller } = setUp(job(60, "2024-05-01T11:58:00Z"));
    await controller.sync("default/pi");
    expect(fake.actions.map((a) => `${a.verb} ${a.path}`)).toEqual([
      "get /apis/batch/v1/namespaces/default/jobs/pi",
      "delete /apis/batch/v1/namespaces/default/jobs/pi",
    ]);
    expect(fake.actions[1]?.options).toEqual({
      propagationPolicy: "Foreground",
      preconditions: { uid: "job-uid" },
    });
  });

  test("waits for the TTL, and leaves running Jobs and Jobs without a TTL alone", async () => {
    const waiting = setUp(job(600, "2024-05-01T11:58:00Z"));
    await waiting.controller.sync("default/pi");
    expect(waiting.fake.actions).toEqual([]);
    await waiting.controller.loop.stop();
    for (const object of [job(0), job(undefined, "2024-05-01T11:00:00Z")]) {
      const { fake, controller } = setUp(object);
      await controller.sync("default/pi");
      expect(fake.actions).toEqual([]);
      await controller.loop.stop();
    }
  });

  test("re-reads the Job before deleting it: a longer TTL set meanwhile wins", async () => {
    const { fake } = setUp(job(0, "2024-05-01T11:58:00Z"), job(3600, "2024-05-01T11:58:00Z"));
    await controller?.sync("default/pi");
    expect(fake.writes()).toEqual([]);
  });
});
