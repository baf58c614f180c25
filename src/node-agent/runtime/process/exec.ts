/**
 * exec: a command in a running container's view. `nsenter --mount` joins the
 * container's mount namespace (through its main process), then the
 * supervisor script in "enter" mode joins its cgroups, chroots, changes to its
 * working directory, sets its environment and execs. With a TTY, Bun's
 * pseudo-terminal (Bun.spawn `terminal`) carries input, output and resizes.
 */
import { existsSync } from "node:fs";
import type { Subprocess } from "bun";
import type { ExecProcess } from "../runtime.ts";
import { defaultPath } from "./container-root.ts";

export interface ExecTarget {
  nsenter: string;
  perl: string;
  script: string;
  /** The container's state directory (its spec is read from there). */
  dir: string;
  /** The container's main process. */
  pid: number;
}

export function execInContainer(
  target: ExecTarget,
  argv: string[],
  options: { stdin: boolean; tty: boolean },
): ExecProcess {
  if (argv.length === 0) throw new Error("exec: no command");
  if (!existsSync(`/proc/${target.pid}/ns/mnt`))
    throw new Error("exec: the container is not running");
  const cmd = [
    target.nsenter,
    `--mount=/proc/${target.pid}/ns/mnt`,
    "--",
    target.perl,
    target.script,
    "enter",
    target.dir,
    ...argv,
  ];
  // Only what nsenter and perl need: the script sets the container's environment.
  const env = { PATH: defaultPath };
  return options.tty
    ? execWithTerminal(cmd, env, options.stdin)
    : execWithPipes(cmd, env, options.stdin);
}

function execWithPipes(cmd: string[], env: Record<string, string>, stdin: boolean): ExecProcess {
  const proc = Bun.spawn(cmd, {
    env,
    stdin: stdin ? "pipe" : "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const sink = proc.stdin;
  return {
    stdin: sink
      ? new WritableStream<Uint8Array>({
          async write(chunk) {
            sink.write(chunk);
            await sink.flush();
          },
          async close() {
            await sink.end();
          },
          async abort() {
            await sink.end();
          },
        })
      : null,
    stdout: proc.stdout,
    stderr: proc.stderr,
    exited: proc.exited,
    resize() {
      // No terminal: nothing to resize.
    },
    kill: (signal = "SIGTERM") => killQuietly(proc, signal),
  };
}

function execWithTerminal(cmd: string[], env: Record<string, string>, stdin: boolean): ExecProcess {
  let output: ReadableStreamDefaultController<Uint8Array> | undefined;
  let outputClosed = false;
  const closeOutput = () => {
    if (outputClosed) return;
    outputClosed = true;
    output?.close();
  };
  const stdout = new ReadableStream<Uint8Array>({
    start(controller) {
      output = controller;
    },
    cancel() {
      outputClosed = true;
    },
  });
  const proc = Bun.spawn(cmd, {
    env,
    terminal: {
      cols: 80,
      rows: 24,
      data(_terminal, data) {
        if (!outputClosed) output?.enqueue(data);
      },
      // EOF (EIO) on the terminal: every process holding it has gone.
      exit: closeOutput,
    },
  });
  const terminal = proc.terminal;
  if (!terminal) throw new Error("exec: no pseudo-terminal");
  const exited = proc.exited.then((code) => {
    closeOutput();
    if (!terminal.closed) terminal.close();
    return code;
  });
  return {
    stdin: stdin
      ? new WritableStream<Uint8Array>({
          write(chunk) {
            if (!terminal.closed) terminal.write(chunk);
          },
          close() {
            // End of input for a terminal in canonical mode (^D).
            if (!terminal.closed) terminal.write("\x04");
          },
        })
      : null,
    stdout,
    stderr: null,
    exited,
    resize(columns, rows) {
      if (!terminal.closed) terminal.resize(columns, rows);
    },
    kill: (signal = "SIGTERM") => killQuietly(proc, signal),
  };
}

function killQuietly(proc: Subprocess, signal: NodeJS.Signals): void {
  try {
    proc.kill(signal);
  } catch {
    // Already exited.
  }
}
