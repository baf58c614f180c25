/**
 * The container runtime contract between the pod worker (which decides what
 * runs) and a runtime (which runs it): `process` (each container a host
 * process in its own mount namespace) or `hollow` (nothing runs; for scale
 * tests). A runtime knows nothing about the API: it gets everything resolved
 * (argv, environment, host directories to mount) and reports exits.
 */

/** A host directory (or file) made visible inside a container. */
export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

/** Resource limits, already converted from the container's requests and limits. */
export interface ContainerLimits {
  /** cgroup cpu.shares (from requests.cpu; 2 minimum, as the kubelet). */
  cpuShares?: number;
  /** cgroup cpu.cfs_quota_us over a 100 ms period (from limits.cpu). */
  cpuQuotaMicros?: number;
  /** cgroup memory limit in bytes (from limits.memory). */
  memoryBytes?: number;
  /** Maximum number of processes. */
  pids?: number;
}

export interface ContainerIdentity {
  podUid: string;
  namespace: string;
  podName: string;
  containerName: string;
  /** The restart count of this instance (0 for the first). */
  attempt: number;
}

export interface StartRequest extends ContainerIdentity {
  /** The full argv: command + args, resolved (image catalog included). */
  argv: string[];
  env: Record<string, string>;
  /** Inside the container's view; "" for the runtime's default ("/"). */
  workingDir: string;
  mounts: Mount[];
  limits: ContainerLimits;
  /** Keep stdin open for attach (`stdin: true` in the spec). */
  stdin: boolean;
  tty: boolean;
  /**
   * Where the instance's log goes, in the CRI format the kubelet uses: one
   * line per output line, `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`.
   */
  logPath: string;
}

export interface ExitStatus {
  exitCode: number;
  /** "Completed" (0), "Error", "OOMKilled", or a signal such as "SIGKILL" reflected as Error. */
  reason: "Completed" | "Error" | "OOMKilled";
  /** Set when the exit was caused by a signal. */
  signal?: string;
  finishedAt: Date;
}

/** A process started inside a running container (exec). */
export interface ExecProcess {
  stdin: WritableStream<Uint8Array> | null;
  stdout: ReadableStream<Uint8Array>;
  /** Null with a TTY (stderr is merged into stdout). */
  stderr: ReadableStream<Uint8Array> | null;
  exited: Promise<number>;
  resize(columns: number, rows: number): void;
  kill(signal?: NodeJS.Signals): void;
}

/** A running (or finished) container instance. */
export interface ContainerHandle extends ContainerIdentity {
  /** "process://<id>" or "hollow://<id>": containerStatuses[].containerID. */
  containerId: string;
  startedAt: Date;
  /** Resolves once, when the instance has ended (also for adopted instances). */
  exited: Promise<ExitStatus>;
  /** Signals every process of the instance (its process group). */
  kill(signal: NodeJS.Signals): void;
  /** Runs a command in the container's view (same mounts, env, working directory). */
  exec(argv: string[], options: { stdin: boolean; tty: boolean }): Promise<ExecProcess>;
  /** The instance's stdin, when started with `stdin: true` (attach). */
  stdin: WritableStream<Uint8Array> | null;
  /** cpu (nanocores over the last interval) and memory (working set bytes), if measurable. */
  usage(): Promise<{ cpuNanoCores?: number; memoryBytes?: number }>;
}

export interface ContainerRuntime {
  /** "process" or "hollow": the Node's nodeInfo.containerRuntimeVersion is `<name>://<version>`. */
  readonly name: string;
  readonly version: string;
  /**
   * What the runtime cannot do on this machine (e.g. "cgroups not writable:
   * limits are not enforced"), for the Node's conditions/events; empty when
   * it has everything.
   */
  readonly limitations: readonly string[];
  start(request: StartRequest): Promise<ContainerHandle>;
  /**
   * Instances still running or finished since the agent last ran (state kept in
   * the runtime's directory), so that a restarted agent re-adopts its pods.
   */
  recover(): Promise<ContainerHandle[]>;
  /** Forgets a finished instance's state (its log file stays until the pod is removed). */
  remove(handle: ContainerIdentity): Promise<void>;
}
