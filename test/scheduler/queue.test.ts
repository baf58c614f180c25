import { describe, expect, test } from "bun:test";
import {
  Action,
  ASSIGNED_POD_DELETE,
  event,
  NODE_ADD,
} from "../../src/scheduler/cluster-events.ts";
import { SchedulingGates } from "../../src/scheduler/plugins/scheduling-gates.ts";
import { isPodUpdated, SchedulingQueue } from "../../src/scheduler/queue.ts";
import { info, pod } from "./fixtures.ts";

function queue(now: { t: number }) {
  const gates = new SchedulingGates();
  return new SchedulingQueue({
    now: () => now.t,
    preEnqueue: (p) => gates.preEnqueue(p)?.withPlugin(gates.name),
    eventsByPlugin: new Map([
      [
        "NodeResourcesFit",
        [
          event("Pod", Action.Delete, "AssignedPod"),
          event("Node", Action.Add | Action.UpdateNodeAllocatable, "Node"),
        ],
      ],
      ["TaintToleration", [event("Node", Action.Add | Action.UpdateNodeTaint, "Node")]],
    ]),
  });
}

/** Pops what is ready right now (pop waits when nothing is). */
async function popNow(q: SchedulingQueue) {
  return q.counts.active > 0 ? (await q.pop())?.key : undefined;
}

describe("SchedulingQueue", () => {
  test("activeQ: higher priority first, then first come", async () => {
    const now = { t: 1000 };
    const q = queue(now);
    q.add(info(pod("low-1", { priority: 0 })));
    now.t++;
    q.add(info(pod("high", { priority: 10 })));
    now.t++;
    q.add(info(pod("low-2", { priority: 0 })));
    expect([await popNow(q), await popNow(q), await popNow(q)]).toEqual([
      "default/high",
      "default/low-1",
      "default/low-2",
    ]);
  });

  test("a failed pod waits for an event its rejecting plugin registered", async () => {
    const now = { t: 0 };
    const q = queue(now);
    q.add(info(pod("p")));
    const queued = await q.pop();
    if (!queued) throw new Error("nothing popped");
    queued.unschedulablePlugins = new Set(["TaintToleration"]);
    q.addUnschedulableIfNotPresent(queued);
    expect(q.whereIs("default/p")).toBe("unschedulable");
    q.moveAllToActiveOrBackoff(ASSIGNED_POD_DELETE);
    expect(q.whereIs("default/p")).toBe("unschedulable");
    // A taint change could help; the pod's 1 s back-off is not over yet.
    q.moveAllToActiveOrBackoff(event("Node", Action.UpdateNodeTaint, "NodeUpdate"));
    expect(q.whereIs("default/p")).toBe("backoff");
    now.t = 999;
    q.flushBackoffCompleted();
    expect(q.whereIs("default/p")).toBe("backoff");
    now.t = 1000;
    q.flushBackoffCompleted();
    expect(q.whereIs("default/p")).toBe("active");
  });

  test("back-off doubles per attempt from 1 s up to 10 s", async () => {
    const now = { t: 0 };
    const q = queue(now);
    q.add(info(pod("p")));
    const durations: number[] = [];
    for (let i = 0; i < 6; i++) {
      const queued = await q.pop();
      if (!queued) throw new Error("nothing popped");
      durations.push(q.backoffDuration(queued));
      queued.unschedulablePlugins = new Set();
      q.addUnschedulableIfNotPresent(queued);
      expect(q.whereIs("default/p")).toBe("backoff");
      now.t += 10_000;
      q.flushBackoffCompleted();
    }
    expect(durations).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  test("unschedulable pods get another try after 5 minutes", async () => {
    const now = { t: 0 };
    const q = queue(now);
    q.add(info(pod("p")));
    const queued = await q.pop();
    if (!queued) throw new Error("nothing popped");
    queued.unschedulablePlugins = new Set(["NodeResourcesFit"]);
    q.addUnschedulableIfNotPresent(queued);
    now.t = 4 * 60_000;
    q.flushUnschedulableLeftover();
    expect(q.whereIs("default/p")).toBe("unschedulable");
    now.t = 5 * 60_000;
    q.flushUnschedulableLeftover();
    expect(q.whereIs("default/p")).toBe("active");
  });

  test("gated pods wait for their own update; status-only updates move nothing", async () => {
    const now = { t: 0 };
    const q = queue(now);
    const gated = pod("g", { spec: { schedulingGates: [{ name: "example.com/wait" }] } });
    q.add(info(gated));
    expect(q.whereIs("default/g")).toBe("unschedulable");
    q.moveAllToActiveOrBackoff(NODE_ADD);
    expect(q.whereIs("default/g")).toBe("unschedulable");
    const statusOnly = { ...gated, status: { phase: "Pending", conditions: [] } };
    expect(isPodUpdated(gated, statusOnly)).toBe(false);
    q.update(gated, info(statusOnly));
    expect(q.whereIs("default/g")).toBe("unschedulable");
    const ungated = { ...gated, spec: { ...(gated.spec as object), schedulingGates: [] } };
    q.update(gated, info(ungated));
    expect(q.whereIs("default/g")).toBe("active");
  });

  test("deleting a pod takes it out; pop waits until a pod arrives, close ends it", async () => {
    const q = queue({ t: 0 });
    q.add(info(pod("gone")));
    q.delete("default/gone");
    const popped = q.pop();
    q.add(info(pod("later")));
    expect((await popped)?.key).toBe("default/later");
    const waiting = q.pop();
    q.close();
    expect(await waiting).toBeUndefined();
  });
});
