import type {
  ContainerHandle,
  ExecProcess,
  ExitStatus,
  StartRequest,
} from "../../../src/node-agent/runtime/runtime.ts";

/** A container that runs until the test ends it; exec answers from a table. */
export class FakeHandle implements ContainerHandle {
  readonly podUid: string;
  readonly namespace: string;
  readonly podName: string;
  readonly containerName: string;
  readonly attempt: number;
  readonly containerId: string;
  readonly startedAt = new Date();
  readonly exited: Promise<ExitStatus>;
  readonly stdin = null;
  readonly signals: string[] = [];
  private finish!: (status: ExitStatus) => void;
  private ended = false;

  constructor(
    readonly request: StartRequest,
    private readonly runtime: FakeRuntime,
  ) {
    this.podUid = request.podUid;
    this.namespace = request.namespace;
    this.podName = request.podName;
    this.containerName = request.containerName;
    this.attempt = request.attempt;
    this.containerId = `fake://${request.podUid}-${request.containerName}-${request.attempt}`;
    this.exited = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  /** Ends the instance with an exit code. */
  exit(exitCode: number): void {
    if (this.ended) return;
    this.ended = true;
    this.finish({
      exitCode,
      reason: exitCode === 0 ? "Completed" : "Error",
      finishedAt: new Date(),
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.signals.push(signal);
    if (signal === "SIGKILL" || (signal === "SIGTERM" && !this.runtime.ignoreTerm)) {
      this.exit(signal === "SIGKILL" ? 137 : 143);
    }
  }

  async exec(argv: string[]): Promise<ExecProcess> {
    const code = this.runtime.execResults.get(argv.join(" ")) ?? 0;
    return {
      stdin: null,
      stdout: new Response("").body as ReadableStream<Uint8Array>,
      stderr: null,
      exited: Promise.resolve(code),
      resize: () => {},
      kill: () => {},
    };
  }

  async usage() {
    return {};
  }
}

export class FakeRuntime {
  readonly name = "fake";
  readonly version = "0";
  readonly limitations: string[] = [];
  readonly started: FakeHandle[] = [];
  readonly removed: string[] = [];
  /** exec argv (joined by spaces) → exit code; probes use it. */
  readonly execResults = new Map<string, number>();
  ignoreTerm = false;

  async start(request: StartRequest): Promise<ContainerHandle> {
    const handle = new FakeHandle(request, this);
    this.started.push(handle);
    return handle;
  }

  async recover(): Promise<ContainerHandle[]> {
    return [];
  }

  async remove(identity: { containerName: string; attempt: number }): Promise<void> {
    this.removed.push(`${identity.containerName}/${identity.attempt}`);
  }

  /** The latest instance of a container. */
  latest(container: string): FakeHandle | undefined {
    return this.started.filter((h) => h.containerName === container).at(-1);
  }
}
