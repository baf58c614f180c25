import { describe, expect, test } from "bun:test";
import { logger } from "../../../src/log/logger.ts";
import { PodWorker, type PodWorkerDeps } from "../../../src/node-agent/pods/pod-worker.ts";
import type { ContainerHandle } from "../../../src/node-agent/runtime/runtime.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { FakeHandle, FakeRuntime } from "./fake-runtime.ts";

interface Status {
  phase: string;
  conditions: { type: string; status: string }[];
  containerStatuses: {
    name: string;
    state: Record<string, { reason?: string; exitCode?: number }>;
    lastState: Record<string, { exitCode?: number; containerID?: string }>;
    restartCount: number;
    containerID?: string;
    ready: boolean;
  }[];
  initContainerStatuses?: { name: string; state: Record<string, unknown> }[];
}

function setup(
  spec: Record<string, unknown>,
  options: { mountError?: string; adopted?: (runtime: FakeRuntime) => ContainerHandle[] } = {},
) {
  const runtime = new FakeRuntime();
  const statuses: Status[] = [];
  const deleted: string[] = [];
  const pod: KubeObject = {
    metadata: { name: "p", namespace: "ns", uid: "uid-1" },
    spec,
    status: { qosClass: "BestEffort" },
  };
  const deps: PodWorkerDeps = {
    runtime,
    volumes: {
      setUp: async () => {
        if (options.mountError) throw new Error(options.mountError);
        return new Map([["data", "/tmp/data"]]);
      },
      tearDown: async () => {},
    },
    environment: async () => ({ A: "1" }),
    argv: (container) =>
      container.command
        ? { argv: [...container.command, ...(container.args ?? [])] }
        : { waiting: { reason: "ImageNotInCatalog", message: "give a command" } },
    admit: () => undefined,
    writeStatus: async (_, status) => {
      statuses.push(structuredClone(status) as unknown as Status);
    },
    confirmDeletion: async (p) => {
      deleted.push(p.metadata?.name ?? "");
    },
    logPath: (_, container, attempt) => `/logs/${container}/${attempt}.log`,
    hostIp: "127.0.0.1",
    log: logger("test"),
  };
  const worker = new PodWorker(pod, deps, options.adopted?.(runtime) ?? []);
  const last = () => statuses.at(-1) as Status;
  /** Waits until the latest reported status satisfies `check` (bounded). */
  const until = async (check: (status: Status) => boolean, what: string) => {
    for (let i = 0; i < 200; i++) {
      if (statuses.length > 0 && check(last())) return last();
      await Bun.sleep(10);
    }
    throw new Error(`status never showed ${what}: ${JSON.stringify(last())}`);
  };
  return { worker, runtime, statuses, deleted, pod, last, until };
}

const app = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  image: "busybox",
  command: ["sh", "-c", "true"],
  ...extra,
});

describe("PodWorker", () => {
  test("init containers run one after another before the app containers", async () => {
    const { worker, runtime, until } = setup({
      initContainers: [app("first"), app("second")],
      containers: [app("main")],
    });
    worker.kick();
    await until((s) => s.initContainerStatuses?.[0]?.state.running !== undefined, "first running");
    expect(runtime.started.map((h) => h.containerName)).toEqual(["first"]);
    runtime.latest("first")?.exit(0);
    await until((s) => s.initContainerStatuses?.[1]?.state.running !== undefined, "second running");
    expect(runtime.started.map((h) => h.containerName)).toEqual(["first", "second"]);
    const pending = await until((s) => s.phase === "Pending", "pending");
    expect(pending.conditions.find((c) => c.type === "Initialized")?.status).toBe("False");
    // As the kubelet: containers of a pod with init containers wait in PodInitializing.
    expect(pending.containerStatuses[0]?.state.waiting?.reason).toBe("PodInitializing");
    runtime.latest("second")?.exit(0);
    const running = await until((s) => s.phase === "Running", "running");
    expect(running.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(runtime.started.map((h) => h.containerName)).toEqual(["first", "second", "main"]);
    // Volumes, env and the log path reach the runtime.
    const request = runtime.latest("main")?.request;
    expect(request?.env).toEqual({ A: "1" });
    expect(request?.logPath).toBe("/logs/main/0.log");
  });

  test("restartPolicy Never: success is Succeeded, failure is Failed, nothing restarts", async () => {
    for (const [code, phase] of [
      [0, "Succeeded"],
      [3, "Failed"],
    ] as const) {
      const { worker, runtime, until } = setup({ restartPolicy: "Never", containers: [app("c")] });
      worker.kick();
      await until((s) => s.phase === "Running", "running");
      runtime.latest("c")?.exit(code);
      const done = await until((s) => s.phase === phase, phase);
      expect(done.containerStatuses[0]?.state.terminated?.exitCode).toBe(code);
      expect(runtime.started).toHaveLength(1);
    }
  });

  test("restartPolicy Always restarts at once, then backs off with CrashLoopBackOff", async () => {
    const { worker, runtime, until } = setup({ containers: [app("c")] });
    worker.kick();
    await until((s) => s.phase === "Running", "running");
    runtime.latest("c")?.exit(1);
    const restarted = await until((s) => s.containerStatuses[0]?.restartCount === 1, "a restart");
    expect(restarted.containerStatuses[0]?.state.running).toBeDefined();
    expect(runtime.latest("c")?.request.attempt).toBe(1);
    runtime.latest("c")?.exit(1);
    const backingOff = await until(
      (s) => s.containerStatuses[0]?.state.waiting?.reason === "CrashLoopBackOff",
      "CrashLoopBackOff",
    );
    expect(backingOff.phase).toBe("Running");
    expect(runtime.started).toHaveLength(2);
    worker.gone();
  });

  test("adopted instances (agent restart) keep the restart count and the previous exit", async () => {
    const instance = (runtime: FakeRuntime, attempt: number) =>
      new FakeHandle(
        {
          podUid: "uid-1",
          namespace: "ns",
          podName: "p",
          containerName: "c",
          attempt,
          argv: ["sh"],
          env: {},
          workingDir: "",
          mounts: [],
          limits: {},
          stdin: false,
          tty: false,
          logPath: `/logs/c/${attempt}.log`,
        },
        runtime,
      );
    const { worker, runtime, until } = setup(
      { containers: [app("c")] },
      {
        adopted: (runtime) => {
          const [first, second] = [instance(runtime, 0), instance(runtime, 1)];
          first.exit(1);
          // The runtime lists them in no particular order.
          return [second, first];
        },
      },
    );
    worker.kick();
    const status = await until(
      (s) => s.containerStatuses[0]?.lastState.terminated !== undefined,
      "the last state",
    );
    expect(status.containerStatuses[0]?.state.running).toBeDefined();
    expect(status.containerStatuses[0]?.restartCount).toBe(1);
    expect(status.containerStatuses[0]?.containerID).toBe("fake://uid-1-c-1");
    expect(status.containerStatuses[0]?.lastState.terminated).toMatchObject({
      exitCode: 1,
      containerID: "fake://uid-1-c-0",
    });
    expect(runtime.started).toHaveLength(0);
    worker.gone();
  });

  test("an image without a command waits with a clear reason", async () => {
    const { worker, until } = setup({ containers: [{ name: "c", image: "unknown" }] });
    worker.kick();
    const status = await until(
      (s) => s.containerStatuses[0]?.state.waiting?.reason === "ImageNotInCatalog",
      "ImageNotInCatalog",
    );
    expect(status.phase).toBe("Pending");
  });

  test("a volume that cannot be set up keeps the containers in ContainerCreating", async () => {
    const { worker, runtime, until } = setup(
      { containers: [app("c")] },
      { mountError: 'configmap "missing" not found' },
    );
    worker.kick();
    const status = await until(
      (s) => s.containerStatuses[0]?.state.waiting?.reason === "ContainerCreating",
      "ContainerCreating",
    );
    expect(JSON.stringify(status)).toContain('configmap \\"missing\\" not found');
    expect(runtime.started).toHaveLength(0);
    worker.gone();
  });

  test("readiness follows the readiness probe", async () => {
    const { worker, runtime, until } = setup({
      containers: [
        app("c", {
          readinessProbe: {
            exec: { command: ["check"] },
            periodSeconds: 0.02,
            failureThreshold: 1,
          },
        }),
      ],
    });
    runtime.execResults.set("check", 1);
    worker.kick();
    const notReady = await until((s) => s.phase === "Running", "running");
    expect(notReady.containerStatuses[0]?.ready).toBe(false);
    runtime.execResults.set("check", 0);
    await until((s) => s.containerStatuses[0]?.ready === true, "ready");
    runtime.execResults.set("check", 1);
    const unready = await until((s) => s.containerStatuses[0]?.ready === false, "unready again");
    expect(unready.conditions.find((c) => c.type === "Ready")?.status).toBe("False");
    worker.gone();
  });

  test("a failing liveness probe restarts the container", async () => {
    const { worker, runtime, until } = setup({
      containers: [
        app("c", {
          livenessProbe: { exec: { command: ["alive"] }, periodSeconds: 0.02, failureThreshold: 2 },
        }),
      ],
    });
    runtime.execResults.set("alive", 1);
    worker.kick();
    await until((s) => s.containerStatuses[0]?.restartCount === 1, "a restart");
    expect(runtime.started[0]?.signals).toContain("SIGTERM");
    worker.gone();
  });

  test("deletion stops the containers with SIGTERM, then SIGKILL after the grace period, and confirms", async () => {
    const { worker, runtime, deleted, pod, until } = setup({
      terminationGracePeriodSeconds: 0.05,
      containers: [app("c")],
    });
    worker.kick();
    await until((s) => s.phase === "Running", "running");
    runtime.ignoreTerm = true;
    worker.update({
      ...pod,
      metadata: {
        ...pod.metadata,
        deletionTimestamp: new Date().toISOString(),
        deletionGracePeriodSeconds: 0.05,
      },
    });
    for (let i = 0; i < 200 && !worker.done; i++) await Bun.sleep(10);
    expect(worker.done).toBe(true);
    expect(runtime.started[0]?.signals).toEqual(["SIGTERM", "SIGKILL"]);
    expect(deleted).toEqual(["p"]);
    expect(runtime.removed).toEqual(["c/0"]);
  });
});
