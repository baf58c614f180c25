/**
 * One pod on this node, from admission to confirmed deletion (the kubelet's
 * pod worker): sets up volumes, runs init containers in order (sidecars keep
 * running), starts and restarts the app containers by restart policy with
 * back-off, runs probes, terminates gracefully, and reports status when it
 * changes. Syncs are serial: every event only asks for another sync.
 */
import type { Logger } from "../../log/logger.ts";
import type { KubeObject } from "../../resources/kind.ts";
import type { ContainerHandle, ExitStatus, Mount, StartRequest } from "../runtime/runtime.ts";
import type { LocatedContainer, LocatedPod } from "../server/container-locator.ts";
import { RestartBackoff } from "./backoff.ts";
import { type ContainerState, type ContainerView, podStatus } from "./pod-status.ts";
import { ProbeRunner, type ProbeSpec, probeOnce } from "./probes.ts";
import { containerLimits } from "./resources.ts";

export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  restartPolicy?: string;
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: ProbeSpec;
  livenessProbe?: ProbeSpec;
  readinessProbe?: ProbeSpec;
  lifecycle?: { preStop?: ProbeSpec };
}

export interface PodSpec {
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
}

/** What a pod worker needs from the agent (the API, volumes, images): fakes in tests. */
export interface PodWorkerDeps {
  runtime: {
    start(request: StartRequest): Promise<ContainerHandle>;
    remove(handle: {
      podUid: string;
      namespace: string;
      podName: string;
      containerName: string;
      attempt: number;
    }): Promise<void>;
  };
  volumes: {
    setUp(pod: KubeObject): Promise<Map<string, string>>;
    tearDown(podUid: string): Promise<void>;
  };
  environment(pod: KubeObject, container: ContainerSpec): Promise<Record<string, string>>;
  /**
   * The argv to run ($(VAR) references expanded against `env`), or why the
   * container must wait (image not in the catalog).
   */
  argv(
    container: ContainerSpec,
    env: Record<string, string>,
  ): { argv: string[] } | { waiting: { reason: string; message: string } };
  /** Why the pod may not run here (resources, host ports), or undefined. */
  admit(pod: KubeObject): { reason: string; message: string } | undefined;
  writeStatus(pod: KubeObject, status: Record<string, unknown>): Promise<void>;
  /** Deletes the pod object for good (grace period 0, uid precondition). */
  confirmDeletion(pod: KubeObject): Promise<void>;
  logPath(pod: KubeObject, container: string, attempt: number): string;
  hostIp: string;
  log: Logger;
}

interface ContainerRecord {
  spec: ContainerSpec;
  init: boolean;
  sidecar: boolean;
  handle?: ContainerHandle;
  attempt: number;
  restartCount: number;
  running: boolean;
  exit?: ExitStatus & { startedAt: Date; containerId: string };
  lastExit?: ExitStatus & { startedAt: Date; containerId: string };
  waiting?: { reason: string; message?: string };
  backoff: RestartBackoff;
  notBefore: number;
  started: boolean;
  ready: boolean;
  probes: ProbeRunner[];
}

export class PodWorker {
  private pod: KubeObject;
  private readonly records = new Map<string, ContainerRecord>();
  private volumePaths: Map<string, string> | null = null;
  private rejected: { reason: string; message: string } | undefined;
  private admitted = false;
  private terminating = false;
  private finished = false;
  private syncing: Promise<void> | null = null;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastStatus = "";
  private readonly startTime = new Date().toISOString();

  constructor(
    pod: KubeObject,
    private readonly deps: PodWorkerDeps,
    adopted: ContainerHandle[] = [],
  ) {
    this.pod = pod;
    const spec = this.spec();
    for (const container of spec.initContainers ?? []) this.addRecord(container, true);
    for (const container of spec.containers ?? []) this.addRecord(container, false);
    // Oldest first: each instance adopted after another makes that one the previous.
    for (const handle of [...adopted].sort((a, b) => a.attempt - b.attempt)) this.adopt(handle);
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? "";
  }

  get current(): KubeObject {
    return this.pod;
  }

  /** Whether the worker has nothing left to do (deletion confirmed). */
  get done(): boolean {
    return this.finished;
  }

  /** The running instance of a container, for logs and exec. */
  handle(container: string): ContainerHandle | undefined {
    return this.records.get(container)?.handle;
  }

  /** The pod's containers as logs, exec and attach see them. */
  locate(): LocatedPod {
    const instance = (
      record: ContainerRecord,
      attempt: number,
      handle: ContainerHandle | null,
    ) => ({
      logPath: this.deps.logPath(this.pod, record.spec.name, attempt),
      handle,
    });
    const containers = [...this.records.values()].map((record): LocatedContainer => {
      const { spec } = record;
      const started = record.running || record.exit !== undefined;
      // In back-off the last instance is "previous": logs come from it, as the kubelet's do.
      const waiting = !record.running && record.waiting !== undefined;
      const current =
        started && !waiting ? instance(record, record.attempt, record.handle ?? null) : null;
      const previous =
        started && waiting
          ? instance(record, record.attempt, record.handle ?? null)
          : record.attempt > 0
            ? instance(record, record.attempt - 1, null)
            : null;
      return {
        name: spec.name,
        current,
        previous,
        ...(record.waiting ? { waitingReason: record.waiting.reason } : {}),
        stdin: spec.stdin === true,
        stdinOnce: spec.stdinOnce === true,
        tty: spec.tty === true,
      };
    });
    const meta = this.pod.metadata ?? {};
    return { namespace: meta.namespace ?? "", name: meta.name ?? "", uid: this.uid, containers };
  }

  /** A newer version of the pod arrived (or the same one, to re-check). */
  update(pod: KubeObject): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp) this.terminating = true;
    this.kick();
  }

  /** The pod is gone from the API (deleted by someone else): stop everything. */
  gone(): void {
    this.terminating = true;
    this.kick();
  }

  kick(delayMs = 0): void {
    if (delayMs > 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.kick(), delayMs);
      return;
    }
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = this.sync()
      .catch((error) =>
        this.deps.log.warn("pod sync failed; will retry", { pod: this.name(), error }),
      )
      .finally(() => {
        this.syncing = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async sync(): Promise<void> {
    if (this.finished) return;
    if (this.terminating) return this.terminate();
    if (!this.admitted) {
      this.rejected = this.deps.admit(this.pod);
      this.admitted = true;
      if (this.rejected) return this.report();
    }
    if (this.rejected) return;
    if (!this.volumePaths) {
      try {
        this.volumePaths = await this.deps.volumes.setUp(this.pod);
      } catch (error) {
        for (const record of this.records.values()) {
          record.waiting = { reason: "ContainerCreating", message: (error as Error).message };
        }
        await this.report();
        this.kick(2000);
        return;
      }
    }
    await this.runInitContainers();
    if (this.initDone()) {
      for (const record of this.records.values()) {
        if (!record.init) await this.ensureRunning(record);
      }
    }
    await this.report();
  }

  private async runInitContainers(): Promise<void> {
    for (const record of this.records.values()) {
      if (!record.init) continue;
      if (record.sidecar) {
        await this.ensureRunning(record);
        if (!record.started) return;
        continue;
      }
      if (record.exit?.exitCode === 0 && !record.running) continue;
      if (record.running) return;
      if (record.exit && this.restartPolicy() === "Never") {
        this.rejected = {
          reason: "",
          message: `init container ${record.spec.name} failed with exit code ${record.exit.exitCode}`,
        };
        return;
      }
      await this.ensureRunning(record);
      return;
    }
  }

  private initDone(): boolean {
    for (const record of this.records.values()) {
      if (!record.init) continue;
      if (record.sidecar ? !record.started : !(record.exit?.exitCode === 0 && !record.running)) {
        return false;
      }
    }
    return true;
  }

  /** Starts a container that is not running, unless its policy or back-off says wait. */
  private async ensureRunning(record: ContainerRecord): Promise<void> {
    if (record.running) return;
    if (record.exit && !this.mayRestart(record)) return;
    const now = Date.now();
    if (record.notBefore > now) {
      record.waiting = {
        reason: "CrashLoopBackOff",
        message: `back-off ${record.backoff.seconds}s restarting failed container=${record.spec.name} pod=${this.name()}_${this.pod.metadata?.namespace}(${this.uid})`,
      };
      this.kick(record.notBefore - now);
      return;
    }
    let env: Record<string, string>;
    try {
      env = await this.deps.environment(this.pod, record.spec);
    } catch (error) {
      record.waiting = { reason: "CreateContainerConfigError", message: (error as Error).message };
      this.kick(5000);
      return;
    }
    const resolved = this.deps.argv(record.spec, env);
    if ("waiting" in resolved) {
      record.waiting = resolved.waiting;
      return;
    }
    const attempt = record.exit ? record.attempt + 1 : record.attempt;
    const request: StartRequest = {
      podUid: this.uid,
      namespace: this.pod.metadata?.namespace ?? "",
      podName: this.name(),
      containerName: record.spec.name,
      attempt,
      argv: resolved.argv,
      env,
      workingDir: record.spec.workingDir ?? "",
      mounts: this.mounts(record.spec),
      limits: containerLimits(record.spec.resources),
      stdin: record.spec.stdin === true,
      tty: record.spec.tty === true,
      logPath: this.deps.logPath(this.pod, record.spec.name, attempt),
    };
    let handle: ContainerHandle;
    try {
      handle = await this.deps.runtime.start(request);
    } catch (error) {
      record.waiting = { reason: "RunContainerError", message: (error as Error).message };
      record.notBefore = record.backoff.exited(0);
      if (record.exit || attempt > 0) record.restartCount++;
      this.kick(Math.max(1000, record.notBefore - Date.now()));
      return;
    }
    if (record.exit) {
      record.lastExit = record.exit;
      record.exit = undefined;
      record.restartCount++;
    }
    record.attempt = attempt;
    this.watch(record, handle);
  }

  private watch(record: ContainerRecord, handle: ContainerHandle): void {
    record.handle = handle;
    record.running = true;
    record.waiting = undefined;
    record.ready = false;
    record.started = false;
    this.startProbes(record, handle);
    void handle.exited.then((exit) => {
      if (record.handle !== handle) return;
      for (const probe of record.probes) probe.stop();
      record.probes = [];
      record.running = false;
      record.ready = false;
      record.exit = { ...exit, startedAt: handle.startedAt, containerId: handle.containerId };
      if (this.mayRestart(record)) {
        record.notBefore = record.backoff.exited(
          exit.finishedAt.getTime() - handle.startedAt.getTime(),
        );
      }
      this.kick();
    });
  }

  private startProbes(record: ContainerRecord, handle: ContainerHandle): void {
    const { spec } = record;
    const attempt = (probe: ProbeSpec) => () =>
      probeOnce(probe, handle, this.deps.hostIp, (port) => this.resolvePort(spec, port));
    const readiness = () => {
      if (!spec.readinessProbe) {
        record.ready = true;
        return;
      }
      const runner = new ProbeRunner(
        spec.readinessProbe,
        attempt(spec.readinessProbe),
        (result) => {
          record.ready = result === "success";
          this.kick();
        },
      );
      record.probes.push(runner);
      runner.start();
    };
    const liveness = () => {
      if (!spec.livenessProbe) return;
      const runner = new ProbeRunner(
        spec.livenessProbe,
        attempt(spec.livenessProbe),
        (result, message) => {
          if (result !== "failure") return;
          this.deps.log.info("liveness probe failed; restarting container", {
            pod: this.name(),
            container: spec.name,
            message,
          });
          void this.stopContainer(record, this.gracePeriodSeconds());
        },
      );
      record.probes.push(runner);
      runner.start();
    };
    const afterStartup = () => {
      record.started = true;
      readiness();
      liveness();
      this.kick();
    };
    if (!spec.startupProbe) {
      afterStartup();
      return;
    }
    const startup = new ProbeRunner(
      spec.startupProbe,
      attempt(spec.startupProbe),
      (result) => {
        if (result === "success") afterStartup();
        else void this.stopContainer(record, this.gracePeriodSeconds());
      },
      true,
    );
    record.probes.push(startup);
    startup.start();
  }

  private mayRestart(record: ContainerRecord): boolean {
    if (record.sidecar) return true;
    const policy = this.restartPolicy();
    if (policy === "Always") return !record.init || (record.exit?.exitCode ?? 0) !== 0;
    if (policy === "OnFailure") return (record.exit?.exitCode ?? 0) !== 0;
    return false;
  }

  /** SIGTERM (after preStop), then SIGKILL once the grace period is over. */
  private async stopContainer(record: ContainerRecord, graceSeconds: number): Promise<void> {
    const handle = record.handle;
    if (!handle || !record.running) return;
    for (const probe of record.probes) probe.stop();
    record.probes = [];
    const deadline = Date.now() + graceSeconds * 1000;
    const preStop = record.spec.lifecycle?.preStop;
    if (preStop) {
      await Promise.race([
        probeOnce({ ...preStop, timeoutSeconds: graceSeconds }, handle, this.deps.hostIp, (port) =>
          this.resolvePort(record.spec, port),
        ),
        Bun.sleep(Math.max(0, deadline - Date.now())),
      ]);
    }
    handle.kill("SIGTERM");
    const killed = await Promise.race([
      handle.exited.then(() => true),
      Bun.sleep(Math.max(0, deadline - Date.now())).then(() => false),
    ]);
    if (!killed) handle.kill("SIGKILL");
    await handle.exited;
  }

  private async terminate(): Promise<void> {
    const grace = this.pod.metadata?.deletionGracePeriodSeconds ?? this.gracePeriodSeconds();
    const running = [...this.records.values()].filter((r) => r.running);
    // App containers first, then sidecars, as upstream orders termination.
    await Promise.all(running.filter((r) => !r.init).map((r) => this.stopContainer(r, grace)));
    await Promise.all(running.filter((r) => r.init).map((r) => this.stopContainer(r, grace)));
    for (const record of this.records.values()) {
      if (record.exit && !record.running) record.waiting = undefined;
    }
    await this.report().catch(() => {});
    await this.deps.volumes
      .tearDown(this.uid)
      .catch((error) => this.deps.log.warn("volume teardown failed", { pod: this.name(), error }));
    for (const record of this.records.values()) {
      for (let attempt = 0; attempt <= record.attempt; attempt++) {
        await this.deps.runtime
          .remove({
            podUid: this.uid,
            namespace: this.pod.metadata?.namespace ?? "",
            podName: this.name(),
            containerName: record.spec.name,
            attempt,
          })
          .catch(() => {});
      }
    }
    if (this.pod.metadata?.deletionTimestamp) await this.deps.confirmDeletion(this.pod);
    this.finished = true;
  }

  private async report(): Promise<void> {
    const status = podStatus(
      {
        containers: [...this.records.values()].map((r) => this.view(r)),
        initDone: this.initDone(),
        ...(this.rejected ? { failed: this.rejected } : {}),
        hostIp: this.deps.hostIp,
        podIp: this.deps.hostIp,
        startTime:
          (this.pod.status as { startTime?: string } | undefined)?.startTime ?? this.startTime,
        previous: this.pod.status,
      },
      new Date().toISOString(),
    );
    const text = JSON.stringify(status);
    if (text === this.lastStatus) return;
    await this.deps.writeStatus(this.pod, status);
    this.lastStatus = text;
  }

  private view(record: ContainerRecord): ContainerView {
    // Not started yet: PodInitializing in a pod with init containers, as the kubelet reports it.
    const notStarted =
      (this.spec().initContainers ?? []).length > 0 ? "PodInitializing" : "ContainerCreating";
    const state: ContainerState = record.running
      ? { running: { startedAt: record.handle?.startedAt.toISOString() ?? this.startTime } }
      : record.waiting || !record.exit
        ? { waiting: record.waiting ?? { reason: notStarted } }
        : { terminated: terminated(record.exit) };
    return {
      name: record.spec.name,
      image: record.spec.image ?? "",
      init: record.init,
      sidecar: record.sidecar,
      state,
      ...(record.lastExit ? { lastState: { terminated: terminated(record.lastExit) } } : {}),
      ready: record.ready && record.running,
      started: record.started && record.running,
      restartCount: record.restartCount,
      ...(record.handle ? { containerId: record.handle.containerId } : {}),
      willRestart: !record.running && !!record.exit && this.mayRestart(record) && !this.terminating,
    };
  }

  private adopt(handle: ContainerHandle): void {
    const record = this.records.get(handle.containerName);
    if (!record || handle.attempt < record.attempt) return;
    const previous = record.handle;
    if (previous && previous.attempt < handle.attempt) {
      // The instance before this one ended: its exit is the container's last state.
      void previous.exited.then((exit) => {
        if (record.lastExit || record.attempt !== previous.attempt + 1) return;
        record.lastExit = {
          ...exit,
          startedAt: previous.startedAt,
          containerId: previous.containerId,
        };
        this.kick();
      });
    }
    record.attempt = handle.attempt;
    record.restartCount = handle.attempt;
    this.watch(record, handle);
  }

  private addRecord(spec: ContainerSpec, init: boolean): void {
    this.records.set(spec.name, {
      spec,
      init,
      sidecar: init && spec.restartPolicy === "Always",
      attempt: 0,
      restartCount: 0,
      running: false,
      backoff: new RestartBackoff(),
      notBefore: 0,
      started: false,
      ready: false,
      probes: [],
    });
  }

  private mounts(spec: ContainerSpec): Mount[] {
    const mounts: Mount[] = [];
    for (const mount of spec.volumeMounts ?? []) {
      const base = this.volumePaths?.get(mount.name);
      if (!base) continue;
      mounts.push({
        hostPath: mount.subPath ? `${base}/${mount.subPath}` : base,
        containerPath: mount.mountPath,
        readOnly: mount.readOnly === true,
      });
    }
    return mounts;
  }

  private resolvePort(spec: ContainerSpec, port: number | string): number | undefined {
    if (typeof port === "number") return port;
    if (/^\d+$/.test(port)) return Number(port);
    return spec.ports?.find((p) => p.name === port)?.containerPort;
  }

  private spec(): PodSpec {
    return (this.pod.spec ?? { containers: [] }) as PodSpec;
  }

  private restartPolicy(): string {
    return this.spec().restartPolicy ?? "Always";
  }

  private gracePeriodSeconds(): number {
    return this.spec().terminationGracePeriodSeconds ?? 30;
  }

  private name(): string {
    return this.pod.metadata?.name ?? "";
  }
}

function terminated(exit: ExitStatus & { startedAt: Date; containerId: string }) {
  return {
    exitCode: exit.exitCode,
    reason: exit.reason,
    startedAt: exit.startedAt.toISOString(),
    finishedAt: exit.finishedAt.toISOString(),
    containerID: exit.containerId,
  };
}
