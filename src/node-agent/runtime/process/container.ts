/** The handle of one process-runtime container instance (started or adopted). */
import type { ContainerHandle, ExecProcess, ExitStatus } from "../runtime.ts";
import type { ContainerCgroup } from "./cgroups.ts";
import { type ExecTarget, execInContainer } from "./exec.ts";
import type { ContainerDir, ContainerMeta, SupervisorPids } from "./state.ts";
import { fifoStdin } from "./stdin-fifo.ts";

export interface ContainerParts {
  meta: ContainerMeta;
  dir: ContainerDir;
  pids: SupervisorPids;
  cgroup: ContainerCgroup | null;
  exited: Promise<ExitStatus>;
  exec: Omit<ExecTarget, "dir" | "pid">;
}

export class ProcessContainer implements ContainerHandle {
  readonly podUid: string;
  readonly namespace: string;
  readonly podName: string;
  readonly containerName: string;
  readonly attempt: number;
  readonly containerId: string;
  readonly startedAt: Date;
  readonly exited: Promise<ExitStatus>;
  readonly stdin: WritableStream<Uint8Array> | null;
  readonly dir: ContainerDir;
  readonly cgroup: ContainerCgroup | null;
  private done = false;
  private lastCpu: { nanos: number; at: number };

  constructor(private readonly parts: ContainerParts) {
    const { meta, dir, pids } = parts;
    this.podUid = meta.podUid;
    this.namespace = meta.namespace;
    this.podName = meta.podName;
    this.containerName = meta.containerName;
    this.attempt = meta.attempt;
    this.containerId = `process://${meta.id}`;
    this.startedAt = new Date(meta.startedAt);
    this.dir = dir;
    this.cgroup = parts.cgroup;
    const stdin = meta.stdin
      ? fifoStdin(dir.stdin, () => this.signalSupervisor(pids.supervisor, "SIGUSR1"))
      : null;
    this.stdin = stdin?.stream ?? null;
    this.exited = parts.exited.then(async (status) => {
      this.done = true;
      await stdin?.dispose().catch(() => undefined);
      return status;
    });
    this.lastCpu = { nanos: 0, at: this.startedAt.getTime() };
  }

  get id(): string {
    return this.parts.meta.id;
  }

  get running(): boolean {
    return !this.done;
  }

  /** Signals the container's process group (the main process and its children). */
  kill(signal: NodeJS.Signals): void {
    if (this.done) return;
    try {
      process.kill(-this.parts.pids.container, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }

  async exec(argv: string[], options: { stdin: boolean; tty: boolean }): Promise<ExecProcess> {
    if (this.done) throw new Error("exec: the container is not running");
    const target = { ...this.parts.exec, dir: this.dir.dir, pid: this.parts.pids.container };
    return execInContainer(target, argv, options);
  }

  /** CPU over the interval since the previous call (since start, the first time). */
  async usage(): Promise<{ cpuNanoCores?: number; memoryBytes?: number }> {
    if (!this.cgroup) return {};
    const sample = await this.cgroup.usage();
    const result: { cpuNanoCores?: number; memoryBytes?: number } = {};
    if (sample.memoryBytes !== undefined) result.memoryBytes = sample.memoryBytes;
    if (sample.cpuNanos !== undefined) {
      const now = Date.now();
      const elapsedNanos = (now - this.lastCpu.at) * 1e6;
      if (elapsedNanos > 0) {
        result.cpuNanoCores = Math.max(
          0,
          Math.round(((sample.cpuNanos - this.lastCpu.nanos) / elapsedNanos) * 1e9),
        );
      }
      this.lastCpu = { nanos: sample.cpuNanos, at: now };
    }
    return result;
  }

  private signalSupervisor(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(pid, signal);
    } catch {
      // The supervisor has ended: so has the container's input.
    }
  }
}
