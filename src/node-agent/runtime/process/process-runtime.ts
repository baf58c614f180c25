/**
 * The `process` runtime: each container is a host process in its own mount
 * namespace, on an overlay of the host's / (container-root.ts), limited by
 * cgroup v1 (cgroups.ts), watched by a small per-container supervisor
 * (supervisor-script.ts) that owns its output pipes, writes the CRI log and
 * records the exit status, and outlives the agent so that a restarted agent
 * adopts its containers with recover().
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Logger } from "../../../log/logger.ts";
import { kubunVersion } from "../../../version.ts";
import type {
  ContainerHandle,
  ContainerIdentity,
  ContainerRuntime,
  ExitStatus,
  StartRequest,
} from "../runtime.ts";
import { agentCgroupParent, CgroupV1, ContainerCgroup } from "./cgroups.ts";
import { ProcessContainer } from "./container.ts";
import {
  containerEnv,
  defaultPath,
  prepareContainerDir,
  probeOverlay,
  workingDirectory,
} from "./container-root.ts";
import { exitStatusFromWait } from "./exit-status.ts";
import { ExitWatcher } from "./exit-watcher.ts";
import { findHostTools, type HostTools } from "./host-tools.ts";
import { encodeSpec, syscallNumbers } from "./spec.ts";
import { ContainerDir, type ContainerMeta, processAlive, type SupervisorPids } from "./state.ts";
import { installSupervisor } from "./supervisor-script.ts";

export interface ProcessRuntimeOptions {
  /** The agent's runtime directory: container roots, state files; cgroup names derive from it. */
  stateDir: string;
  /** The parent cgroup under each v1 controller (default "kubun"). */
  cgroupRoot?: string;
  log: Logger;
}

export class ProcessRuntime implements ContainerRuntime {
  readonly name = "process";
  readonly version = kubunVersion;
  readonly limitations: readonly string[];
  private readonly stateDir: string;
  private readonly containersDir: string;
  private readonly log: Logger;
  private readonly tools: HostTools | null;
  private readonly script: string;
  private readonly cgroups: CgroupV1;
  private readonly overlay: boolean;
  private readonly containers = new Map<string, ProcessContainer>();
  /** Instances whose start is under way (recover() must leave them alone). */
  private readonly starting = new Set<string>();
  private readonly watcher = new ExitWatcher();

  constructor(options: ProcessRuntimeOptions) {
    this.stateDir = resolve(options.stateDir);
    this.containersDir = join(this.stateDir, "containers");
    this.log = options.log;
    mkdirSync(this.containersDir, { recursive: true, mode: 0o700 });
    const limitations: string[] = [];

    const { tools, missing } = findHostTools();
    this.tools = tools;
    if (!tools) limitations.push(`${missing.join(", ")} not found: containers cannot start`);
    this.script = installSupervisor(join(this.stateDir, "bin"));

    this.cgroups = CgroupV1.open(agentCgroupParent(this.stateDir, options.cgroupRoot));
    limitations.push(...this.cgroups.limitations);

    const overlayProblem = tools ? probeOverlay(tools.unshare, this.stateDir) : "unshare not found";
    this.overlay = overlayProblem === null;
    if (overlayProblem !== null) {
      limitations.push(
        `overlayfs unavailable (${overlayProblem}): containers run on the host's root filesystem, and their writes reach the host`,
      );
    }
    this.limitations = limitations;
    for (const limitation of limitations)
      this.log.warn("process runtime limitation", { limitation });
  }

  async start(request: StartRequest): Promise<ContainerHandle> {
    const tools = this.tools;
    if (!tools)
      throw new Error(this.limitations[0] ?? "the process runtime cannot start containers");
    if (request.argv.length === 0) throw new Error("no command to run");
    const key = identityKey(request);
    if (this.containers.get(key)?.running)
      throw new Error(`${describe(request)} is already running`);

    const id = randomUUID().replaceAll("-", "");
    const dir = new ContainerDir(this.containersDir, id);
    this.starting.add(id);
    let cgroup: ContainerCgroup | null = null;
    try {
      await prepareContainerDir(dir, this.overlay);
      if (this.cgroups.available) cgroup = await this.cgroups.create(id, request.limits);
      const meta: ContainerMeta = {
        id,
        podUid: request.podUid,
        namespace: request.namespace,
        podName: request.podName,
        containerName: request.containerName,
        attempt: request.attempt,
        startedAt: new Date().toISOString(),
        logPath: request.logPath,
        stdin: request.stdin,
        tty: request.tty,
        overlay: this.overlay,
        cgroups: cgroup?.dirs ?? null,
      };
      const spec = encodeSpec({
        root: this.overlay ? dir.merged : "",
        upper: dir.upper,
        work: dir.work,
        hide: this.stateDir,
        logPath: request.logPath,
        tty: request.tty,
        stdinFifo: request.stdin ? dir.stdin : "",
        workingDir: workingDirectory(request.workingDir),
        argv: request.argv,
        env: containerEnv(request.env),
        cgroups: cgroup?.distinctDirs() ?? [],
        mounts: request.mounts,
        syscalls: syscallNumbers(),
      });
      await Promise.all([
        dir.writeMeta(meta),
        writeFile(dir.spec, spec, { mode: 0o600 }),
        mkdir(dirname(request.logPath), { recursive: true }),
      ]);
      const { pids, supervisorExited } = await this.launch(tools, dir);
      const exited = supervisorExited.then(() => this.recordedExit(dir, cgroup, pids));
      const handle = this.handle(meta, dir, pids, cgroup, exited);
      this.containers.set(key, handle);
      this.log.debug("container started", {
        container: describe(request),
        id,
        pid: pids.container,
      });
      return handle;
    } catch (error) {
      await cgroup?.remove().catch(() => undefined);
      await rm(dir.dir, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    } finally {
      this.starting.delete(id);
    }
  }

  /**
   * Starts the supervisor in a new mount namespace and its own session (so the
   * agent's death does not reach it) and waits for its one-line report.
   */
  private async launch(
    tools: HostTools,
    dir: ContainerDir,
  ): Promise<{ pids: SupervisorPids; supervisorExited: Promise<number> }> {
    const proc = Bun.spawn(
      [
        tools.unshare,
        "--mount",
        "--propagation",
        "private",
        tools.perl,
        this.script,
        "supervise",
        dir.dir,
      ],
      {
        detached: true,
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        env: { PATH: defaultPath },
      },
    );
    const [report, errors] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    const pids = report.startsWith("ok ") ? await dir.readPids() : null;
    if (!pids) {
      const code = await proc.exited;
      const reason = report.startsWith("error ") ? report.slice(6).trim() : errors.trim();
      throw new Error(reason || `the container supervisor exited with ${code}`);
    }
    return { pids, supervisorExited: proc.exited };
  }

  async recover(): Promise<ContainerHandle[]> {
    const handles: ContainerHandle[] = [];
    let ids: string[] = [];
    try {
      ids = await readdir(this.containersDir);
    } catch {
      return handles;
    }
    for (const id of ids) {
      if (this.starting.has(id)) continue;
      const known = [...this.containers.values()].find((c) => c.id === id);
      if (known) {
        handles.push(known);
        continue;
      }
      const handle = await this.adopt(new ContainerDir(this.containersDir, id));
      if (handle) handles.push(handle);
    }
    return handles;
  }

  private async adopt(dir: ContainerDir): Promise<ProcessContainer | null> {
    const meta = await dir.readMeta();
    const cgroup = meta?.cgroups ? new ContainerCgroup(meta.cgroups) : null;
    const pids = await dir.readPids();
    if (!meta || !pids) {
      // A start cut short (no report from the supervisor): nothing to adopt.
      this.log.warn("discarding an incomplete container start", { dir: dir.dir });
      await cgroup?.remove().catch(() => undefined);
      await rm(dir.dir, { recursive: true, force: true });
      return null;
    }
    const finished = dir.readExit() !== null;
    const exited = finished
      ? this.recordedExit(dir, cgroup, pids)
      : this.watcher.watch(dir, pids).then(() => this.recordedExit(dir, cgroup, pids));
    const handle = this.handle(meta, dir, pids, cgroup, exited);
    this.containers.set(identityKey(meta), handle);
    this.log.info("adopted container", { container: describe(meta), id: meta.id, finished });
    return handle;
  }

  async remove(identity: ContainerIdentity): Promise<void> {
    const key = identityKey(identity);
    const handle = this.containers.get(key);
    if (!handle) return;
    if (handle.running) {
      handle.kill("SIGKILL");
      await handle.exited;
    }
    this.containers.delete(key);
    await handle.cgroup?.remove();
    await rm(handle.dir.dir, { recursive: true, force: true });
  }

  private handle(
    meta: ContainerMeta,
    dir: ContainerDir,
    pids: SupervisorPids,
    cgroup: ContainerCgroup | null,
    exited: Promise<ExitStatus>,
  ): ProcessContainer {
    const tools = this.tools;
    return new ProcessContainer({
      meta,
      dir,
      pids,
      cgroup,
      exited,
      exec: {
        nsenter: tools?.nsenter ?? "nsenter",
        perl: tools?.perl ?? "perl",
        script: this.script,
      },
    });
  }

  /** The exit the supervisor recorded; a supervisor that died without one is reported as 255, like containerd. */
  private async recordedExit(
    dir: ContainerDir,
    cgroup: ContainerCgroup | null,
    pids: SupervisorPids,
  ): Promise<ExitStatus> {
    const raw = dir.readExit();
    if (!raw) {
      this.log.warn("container supervisor ended without recording an exit", { dir: dir.dir });
      if (processAlive(pids.container, pids.containerStart)) {
        try {
          process.kill(-pids.container, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
      return { exitCode: 255, reason: "Error", finishedAt: new Date() };
    }
    const killed = (raw.waitStatus & 0x7f) === 9;
    const oom = cgroup ? await cgroup.oomKilled(killed).catch(() => false) : false;
    return exitStatusFromWait(raw.waitStatus, raw.finishedAt, oom);
  }
}

function identityKey(identity: ContainerIdentity): string {
  return `${identity.podUid}/${identity.containerName}/${identity.attempt}`;
}

function describe(identity: ContainerIdentity): string {
  return `${identity.namespace}/${identity.podName}/${identity.containerName}#${identity.attempt}`;
}
