import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { podPrinters } from "../../../src/resources/printers/pod-printers.ts";
import { ago, cellsByColumn, minutes } from "./printer-fixtures.ts";

const columns = podPrinters.pods?.columns ?? [];

interface PodCase {
  name: string;
  pod: Record<string, unknown>;
  ready: string;
  status: string;
  restarts: string;
}

const running = { running: { startedAt: ago(minutes(30)) } };

function pod(fields: Record<string, unknown>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", creationTimestamp: ago(minutes(40)) },
    spec: { containers: [{ name: "app", image: "nginx" }] },
    ...fields,
  };
}

const cases: PodCase[] = [
  {
    name: "a pod not yet scheduled is Pending",
    pod: { status: { phase: "Pending" } },
    ready: "0/1",
    status: "Pending",
    restarts: "0",
  },
  {
    name: "a running ready container is Running 1/1",
    pod: {
      status: {
        phase: "Running",
        containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: running }],
      },
    },
    ready: "1/1",
    status: "Running",
    restarts: "0",
  },
  {
    name: "the first init container still waiting to start is Init:0/2",
    pod: {
      spec: {
        initContainers: [{ name: "a" }, { name: "b" }],
        containers: [{ name: "app" }],
      },
      status: {
        phase: "Pending",
        initContainerStatuses: [
          { name: "a", state: { waiting: { reason: "PodInitializing" } } },
          { name: "b", state: { waiting: { reason: "PodInitializing" } } },
        ],
      },
    },
    ready: "0/1",
    status: "Init:0/2",
    restarts: "0",
  },
  {
    name: "a finished first init container moves the count to Init:1/2",
    pod: {
      spec: { initContainers: [{ name: "a" }, { name: "b" }], containers: [{ name: "app" }] },
      status: {
        phase: "Pending",
        initContainerStatuses: [
          { name: "a", state: { terminated: { exitCode: 0, reason: "Completed" } } },
          { name: "b", state: running },
        ],
      },
    },
    ready: "0/1",
    status: "Init:1/2",
    restarts: "0",
  },
  {
    name: "a crash-looping init container shows Init:CrashLoopBackOff and its restarts",
    pod: {
      spec: { initContainers: [{ name: "a" }], containers: [{ name: "app" }] },
      status: {
        phase: "Pending",
        initContainerStatuses: [
          {
            name: "a",
            restartCount: 3,
            state: { waiting: { reason: "CrashLoopBackOff" } },
            lastState: { terminated: { exitCode: 1, finishedAt: ago(minutes(2)) } },
          },
        ],
      },
    },
    ready: "0/1",
    status: "Init:CrashLoopBackOff",
    restarts: "3 (2m ago)",
  },
  {
    name: "a failed init container without a reason shows its exit code",
    pod: {
      spec: { initContainers: [{ name: "a" }], containers: [{ name: "app" }] },
      status: {
        phase: "Pending",
        initContainerStatuses: [{ name: "a", state: { terminated: { exitCode: 2 } } }],
      },
    },
    ready: "0/1",
    status: "Init:ExitCode:2",
    restarts: "0",
  },
  {
    name: "an init container killed by a signal shows the signal",
    pod: {
      spec: { initContainers: [{ name: "a" }], containers: [{ name: "app" }] },
      status: {
        phase: "Pending",
        initContainerStatuses: [{ name: "a", state: { terminated: { exitCode: 137, signal: 9 } } }],
      },
    },
    ready: "0/1",
    status: "Init:Signal:9",
    restarts: "0",
  },
  {
    name: "a crash-looping container shows CrashLoopBackOff with the last restart's age",
    pod: {
      status: {
        phase: "Running",
        containerStatuses: [
          {
            name: "app",
            ready: false,
            restartCount: 5,
            state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 5m0s" } },
            lastState: { terminated: { exitCode: 1, finishedAt: ago(minutes(5)) } },
          },
        ],
      },
    },
    ready: "0/1",
    status: "CrashLoopBackOff",
    restarts: "5 (5m ago)",
  },
  {
    name: "an image that cannot be pulled shows ErrImagePull",
    pod: {
      status: {
        phase: "Pending",
        containerStatuses: [{ name: "app", state: { waiting: { reason: "ErrImagePull" } } }],
      },
    },
    ready: "0/1",
    status: "ErrImagePull",
    restarts: "0",
  },
  {
    name: "the first listed container's reason wins over later ones",
    pod: {
      spec: { containers: [{ name: "a" }, { name: "b" }] },
      status: {
        phase: "Pending",
        containerStatuses: [
          { name: "a", state: { waiting: { reason: "ImagePullBackOff" } } },
          { name: "b", state: { waiting: { reason: "CreateContainerConfigError" } } },
        ],
      },
    },
    ready: "0/2",
    status: "ImagePullBackOff",
    restarts: "0",
  },
  {
    name: "a pod being deleted is Terminating",
    pod: {
      metadata: { name: "web", creationTimestamp: ago(minutes(40)), deletionTimestamp: ago(0) },
      status: {
        phase: "Running",
        containerStatuses: [{ name: "app", ready: true, state: running }],
      },
    },
    ready: "1/1",
    status: "Terminating",
    restarts: "0",
  },
  {
    name: "a pod on a lost node being deleted is Unknown",
    pod: {
      metadata: { name: "web", creationTimestamp: ago(minutes(40)), deletionTimestamp: ago(0) },
      status: { phase: "Running", reason: "NodeLost" },
    },
    ready: "0/1",
    status: "Unknown",
    restarts: "0",
  },
  {
    name: "a finished pod stays Completed while being deleted",
    pod: {
      metadata: { name: "web", creationTimestamp: ago(minutes(40)), deletionTimestamp: ago(0) },
      status: {
        phase: "Succeeded",
        containerStatuses: [
          { name: "app", state: { terminated: { exitCode: 0, reason: "Completed" } } },
        ],
      },
    },
    ready: "0/1",
    status: "Completed",
    restarts: "0",
  },
  {
    name: "a container that exited without a reason shows its exit code",
    pod: {
      status: {
        phase: "Failed",
        containerStatuses: [{ name: "app", state: { terminated: { exitCode: 3 } } }],
      },
    },
    ready: "0/1",
    status: "ExitCode:3",
    restarts: "0",
  },
  {
    name: "an evicted pod shows the status reason",
    pod: { status: { phase: "Failed", reason: "Evicted" } },
    ready: "0/1",
    status: "Evicted",
    restarts: "0",
  },
  {
    name: "a pod held by scheduling gates is SchedulingGated",
    pod: {
      status: {
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "False", reason: "SchedulingGated" }],
      },
    },
    ready: "0/1",
    status: "SchedulingGated",
    restarts: "0",
  },
  {
    name: "Completed turns back into Running while another container runs and the pod is Ready",
    pod: {
      spec: { containers: [{ name: "a" }, { name: "b" }] },
      status: {
        phase: "Running",
        conditions: [{ type: "Ready", status: "True" }],
        containerStatuses: [
          { name: "a", state: { terminated: { exitCode: 0, reason: "Completed" } } },
          { name: "b", ready: true, state: running },
        ],
      },
    },
    ready: "1/2",
    status: "Running",
    restarts: "0",
  },
  {
    name: "Completed turns into NotReady while another container runs and the pod is not Ready",
    pod: {
      spec: { containers: [{ name: "a" }, { name: "b" }] },
      status: {
        phase: "Running",
        conditions: [{ type: "Ready", status: "False" }],
        containerStatuses: [
          { name: "a", state: { terminated: { exitCode: 0, reason: "Completed" } } },
          { name: "b", ready: true, state: running },
        ],
      },
    },
    ready: "1/2",
    status: "NotReady",
    restarts: "0",
  },
  {
    name: "restarts of init containers that finished stop counting once the pod runs",
    pod: {
      spec: { initContainers: [{ name: "migrate" }], containers: [{ name: "app" }] },
      status: {
        phase: "Running",
        conditions: [{ type: "Initialized", status: "True" }],
        initContainerStatuses: [
          {
            name: "migrate",
            restartCount: 4,
            state: { terminated: { exitCode: 0, reason: "Completed" } },
            lastState: { terminated: { exitCode: 1, finishedAt: ago(minutes(9)) } },
          },
        ],
        containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: running }],
      },
    },
    ready: "1/1",
    status: "Running",
    restarts: "0",
  },
  {
    name: "a sidecar that has not passed its startup probe still holds initialisation",
    pod: {
      spec: {
        initContainers: [{ name: "proxy", restartPolicy: "Always" }],
        containers: [{ name: "app" }],
      },
      status: {
        phase: "Pending",
        initContainerStatuses: [{ name: "proxy", started: false, state: running }],
      },
    },
    ready: "0/2",
    status: "Init:0/1",
    restarts: "0",
  },
  {
    name: "a started sidecar counts towards READY and its restarts count",
    pod: {
      spec: {
        initContainers: [{ name: "proxy", restartPolicy: "Always" }],
        containers: [{ name: "app" }],
      },
      status: {
        phase: "Running",
        conditions: [{ type: "Initialized", status: "True" }],
        initContainerStatuses: [
          {
            name: "proxy",
            ready: true,
            started: true,
            restartCount: 2,
            state: running,
            lastState: { terminated: { exitCode: 1, finishedAt: ago(minutes(7)) } },
          },
        ],
        containerStatuses: [{ name: "app", ready: true, restartCount: 1, state: running }],
      },
    },
    ready: "2/2",
    status: "Running",
    restarts: "3 (7m ago)",
  },
];

describe("pod printer: READY, STATUS, RESTARTS", () => {
  for (const c of cases) {
    test(c.name, () => {
      const cells = cellsByColumn("", "pods", pod(c.pod), columns);
      expect([cells.Ready, cells.Status, cells.Restarts]).toEqual([c.ready, c.status, c.restarts]);
    });
  }
});

describe("pod printer: the other cells", () => {
  test("prints name, age and the wide cells", () => {
    const cells = cellsByColumn(
      "",
      "pods",
      pod({
        spec: {
          containers: [{ name: "app" }],
          nodeName: "node-1",
          readinessGates: [{ conditionType: "example.com/a" }, { conditionType: "example.com/b" }],
        },
        status: {
          phase: "Pending",
          podIPs: [{ ip: "10.1.0.7" }, { ip: "fd00::7" }],
          nominatedNodeName: "node-2",
          conditions: [
            { type: "example.com/a", status: "True" },
            { type: "example.com/b", status: "False" },
          ],
        },
      }),
      columns,
    );
    expect(cells).toMatchObject({
      Name: "web",
      Age: "40m",
      IP: "10.1.0.7",
      Node: "node-1",
      "Nominated Node": "node-2",
      "Readiness Gates": "1/2",
    });
  });

  test('prints "<none>" for what is not there yet, and podIP before podIPs', () => {
    const unscheduled = cellsByColumn("", "pods", pod({ status: { phase: "Pending" } }), columns);
    expect([unscheduled.IP, unscheduled.Node, unscheduled["Nominated Node"]]).toEqual([
      "<none>",
      "<none>",
      "<none>",
    ]);
    expect(unscheduled["Readiness Gates"]).toBe("<none>");
    const both = pod({ status: { podIP: "10.0.0.1", podIPs: [{ ip: "10.0.0.2" }] } });
    expect(cellsByColumn("", "pods", both, columns).IP).toBe("10.0.0.1");
  });

  test('prints "<unknown>" as the age of an object without creationTimestamp', () => {
    const cells = cellsByColumn("", "pods", { metadata: { name: "x" } }, columns);
    expect(cells.Age).toBe("<unknown>");
  });

  test("marks finished pods with a Completed row condition", () => {
    const conditions = podPrinters.pods?.conditions;
    expect(conditions?.(pod({ status: { phase: "Succeeded" } }))).toEqual([
      {
        type: "Completed",
        status: "True",
        reason: "Succeeded",
        message: "The pod has completed successfully.",
      },
    ]);
    expect(conditions?.(pod({ status: { phase: "Failed" } }))?.[0]?.reason).toBe("Failed");
    expect(conditions?.(pod({ status: { phase: "Running" } }))).toBeUndefined();
  });
});

describe("pod template printer", () => {
  test("prints containers, images and the template's labels", () => {
    const template: KubeObject = {
      metadata: { name: "tpl" },
      template: {
        metadata: { labels: { tier: "web", app: "shop" } },
        spec: {
          containers: [
            { name: "app", image: "nginx:1.27" },
            { name: "log", image: "busybox" },
          ],
        },
      },
    };
    const cells = cellsByColumn(
      "",
      "podtemplates",
      template,
      podPrinters.podtemplates?.columns ?? [],
    );
    expect(cells).toEqual({
      Name: "tpl",
      Containers: "app,log",
      Images: "nginx:1.27,busybox",
      "Pod Labels": "app=shop,tier=web",
    });
  });
});
