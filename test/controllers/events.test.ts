import { describe, expect, test } from "bun:test";
import { EventRecorder } from "../../src/controllers/events.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { apiError, FakeClient, RecordingLogger } from "./fake-client.ts";

const deployment: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", uid: "u-1", resourceVersion: "7" },
};

function recorder(fake: FakeClient, log = new RecordingLogger()) {
  return new EventRecorder({ client: fake.asClient(), component: "deployment-controller", log });
}

describe("EventRecorder", () => {
  test("writes an Event about the object with upstream's fields", async () => {
    const fake = new FakeClient();
    const events = recorder(fake);
    events.event(deployment, "Normal", "ScalingReplicaSet", "Scaled up replica set web-1 to 3");
    await events.flush();
    expect(fake.writes()).toEqual(["create /api/v1/namespaces/shop/events"]);
    const event = fake.actions[0]?.body as Record<string, unknown> & KubeObject;
    expect(event.metadata?.name).toMatch(/^web\.[0-9a-f]+$/);
    expect(event.involvedObject).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      namespace: "shop",
      name: "web",
      uid: "u-1",
      resourceVersion: "7",
    });
    expect(event).toMatchObject({
      type: "Normal",
      reason: "ScalingReplicaSet",
      source: { component: "deployment-controller" },
      count: 1,
    });
  });

  test("a repeat bumps count and lastTimestamp on the same Event", async () => {
    const fake = new FakeClient();
    const events = recorder(fake);
    for (let i = 0; i < 3; i++) events.event(deployment, "Warning", "FailedCreate", "quota");
    await events.flush();
    const name = (fake.actions[0]?.body as KubeObject).metadata?.name;
    expect(fake.writes()).toEqual([
      "create /api/v1/namespaces/shop/events",
      `patch /api/v1/namespaces/shop/events/${name}`,
      `patch /api/v1/namespaces/shop/events/${name}`,
    ]);
    expect(fake.actions.map((a) => (a.body as { count?: number }).count)).toEqual([1, 2, 3]);
  });

  test("a different message is a different Event", async () => {
    const fake = new FakeClient();
    const events = recorder(fake);
    events.event(deployment, "Normal", "ScalingReplicaSet", "to 1");
    events.event(deployment, "Normal", "ScalingReplicaSet", "to 2");
    await events.flush();
    expect(fake.writes().filter((w) => w.startsWith("create"))).toHaveLength(2);
  });

  test("a repeat of an Event deleted meanwhile starts a new one", async () => {
    const fake = new FakeClient();
    fake.respond = (action) => {
      if (action.verb === "patch") throw apiError(404, "NotFound");
      return action.body;
    };
    const events = recorder(fake);
    events.event(deployment, "Normal", "Reason", "m");
    events.event(deployment, "Normal", "Reason", "m");
    await events.flush();
    expect(fake.writes().map((w) => w.split(" ")[0])).toEqual(["create", "patch", "create"]);
  });

  test("a failed write is logged, never thrown, and later events still go out", async () => {
    const fake = new FakeClient();
    let fail = true;
    fake.respond = (action) => {
      if (fail) {
        fail = false;
        throw apiError(500, "InternalError");
      }
      return action.body;
    };
    const log = new RecordingLogger();
    const events = recorder(fake, log);
    events.event(deployment, "Normal", "A", "first");
    events.event(deployment, "Normal", "B", "second");
    await events.flush();
    expect(log.lines).toContain("warn could not record event");
    expect(fake.writes()).toHaveLength(2);
  });

  test("a few writes run at once, and a backlog beyond a thousand is dropped", async () => {
    let inFlight = 0;
    let most = 0;
    let created = 0;
    const release: (() => void)[] = [];
    const client = {
      create: async <T>(_path: string, body: T) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise<void>((resolve) => release.push(resolve));
        inFlight--;
        created++;
        return body;
      },
      patch: async <T>(_path: string, body: T) => body,
    };
    const log = new RecordingLogger();
    const events = new EventRecorder({
      client: client as never,
      component: "test",
      log,
    });
    for (let i = 0; i < 1100; i++) events.event(deployment, "Normal", "Reason", `message ${i}`);
    expect(log.lines).toContain("warn too many events waiting; dropping");
    const flushed = events.flush();
    while (created < 1000) {
      await Bun.sleep(0);
      for (const resolve of release.splice(0)) resolve();
    }
    await flushed;
    expect(most).toBe(8);
    expect(created).toBe(1000);
  });
});
