/**
 * Test doubles for the agent server: containers that are host processes (no
 * isolation), logging in the CRI format, and a locator over a fixed set of pods.
 */
import { appendFile, readdir, readlink } from "node:fs/promises";
import type {
  ContainerHandle,
  ExecProcess,
  ExitStatus,
} from "../../../src/node-agent/runtime/runtime.ts";
import type {
  ContainerLocator,
  LocatedContainer,
  LocatedPod,
} from "../../../src/node-agent/server/container-locator.ts";

/** CRI log lines for `text` (one per line), all at `time`. */
export function criLines(stream: "stdout" | "stderr", text: string, time = new Date()): string {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line) => `${time.toISOString()} ${stream} F ${line}\n`).join("");
}

/** A FileSink (Bun.spawn's stdin pipe) as a WritableStream. */
function writableOf(sink: Bun.FileSink): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      sink.write(chunk);
      await sink.flush();
    },
    async close() {
      await sink.end();
    },
  });
}

function exitStatus(code: number): ExitStatus {
  return { exitCode: code, reason: code === 0 ? "Completed" : "Error", finishedAt: new Date() };
}

let sequence = 0;

interface Identity {
  namespace: string;
  podName: string;
  podUid: string;
  containerName: string;
  attempt?: number;
}

/**
 * A container instance whose main process is a host `sh -c script` (or no
 * process at all: `exit()` ends it), writing its output to `logPath` as a CRI
 * runtime does; exec runs commands on the host.
 */
export class HostContainer implements ContainerHandle {
  readonly containerId = `process://test-${++sequence}`;
  readonly startedAt = new Date();
  readonly exited: Promise<ExitStatus>;
  stdin: WritableStream<Uint8Array> | null = null;
  readonly namespace: string;
  readonly podName: string;
  readonly podUid: string;
  readonly containerName: string;
  readonly attempt: number;
  /** Commands exec ran, for assertions. */
  readonly execs: string[][] = [];
  /** Whether each of them asked for a TTY. */
  readonly execTty: boolean[] = [];
  private finish: (status: ExitStatus) => void = () => {};
  private process: ReturnType<typeof Bun.spawn> | null = null;

  constructor(
    identity: Identity,
    readonly logPath: string,
  ) {
    this.namespace = identity.namespace;
    this.podName = identity.podName;
    this.podUid = identity.podUid;
    this.containerName = identity.containerName;
    this.attempt = identity.attempt ?? 0;
    this.exited = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  /** Runs `script` as the instance's main process (stdin kept open when asked). */
  run(script: string, options: { stdin?: boolean } = {}): this {
    const child = Bun.spawn(["sh", "-c", script], {
      stdin: options.stdin ? "pipe" : "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    this.process = child;
    if (options.stdin) this.stdin = writableOf(child.stdin as Bun.FileSink);
    const logged = Promise.all([
      this.log(child.stdout as ReadableStream<Uint8Array>, "stdout"),
      this.log(child.stderr as ReadableStream<Uint8Array>, "stderr"),
    ]);
    void Promise.all([child.exited, logged]).then(([code]) => this.finish(exitStatus(code)));
    return this;
  }

  /** Ends an instance that runs no process. */
  exit(code = 0): void {
    this.finish(exitStatus(code));
  }

  private async log(source: ReadableStream<Uint8Array>, stream: "stdout" | "stderr") {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of source) {
      pending += decoder.decode(chunk, { stream: true });
      const end = pending.lastIndexOf("\n");
      if (end < 0) continue;
      await appendFile(this.logPath, criLines(stream, pending.slice(0, end + 1)));
      pending = pending.slice(end + 1);
    }
    if (pending) await appendFile(this.logPath, criLines(stream, pending));
  }

  kill(signal: NodeJS.Signals): void {
    this.process?.kill(signal);
  }

  async exec(argv: string[], options: { stdin: boolean; tty: boolean }): Promise<ExecProcess> {
    this.execs.push(argv);
    this.execTty.push(options.tty);
    // No terminal here: with a TTY, stderr joins stdout as it would on one.
    const command = options.tty ? ["sh", "-c", 'exec "$@" 2>&1', "sh", ...argv] : argv;
    const child = Bun.spawn(command, {
      stdin: options.stdin ? "pipe" : "ignore",
      stdout: "pipe",
      stderr: options.tty ? "ignore" : "pipe",
    });
    return {
      stdin: options.stdin ? writableOf(child.stdin as Bun.FileSink) : null,
      stdout: child.stdout as ReadableStream<Uint8Array>,
      stderr: options.tty ? null : (child.stderr as ReadableStream<Uint8Array>),
      exited: child.exited,
      resize: () => {},
      kill: (signal) => child.kill(signal),
    };
  }

  async usage() {
    return {};
  }
}

/** A locator over pods set up by the test. */
export class FakeLocator implements ContainerLocator {
  readonly pods = new Map<string, LocatedPod>();

  add(pod: { namespace: string; name: string; uid?: string; containers: LocatedContainer[] }) {
    const located: LocatedPod = { uid: `uid-${pod.name}`, ...pod };
    this.pods.set(`${pod.namespace}/${pod.name}`, located);
    return located;
  }

  findPod(namespace: string, name: string, uid?: string): LocatedPod | null {
    const pod = this.pods.get(`${namespace}/${name}`) ?? null;
    if (pod && uid && pod.uid !== uid) return null;
    return pod;
  }
}

/** How many of this process's file descriptors are open on `path` (Linux). */
export async function openDescriptors(path: string): Promise<number> {
  let count = 0;
  for (const fd of await readdir("/proc/self/fd")) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => "");
    if (target === path) count++;
  }
  return count;
}
