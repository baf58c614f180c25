/**
 * exec and attach over a channel WebSocket (see channel-protocol.ts), as the
 * kubelet's streaming server serves them: the requested streams, a status on
 * the error channel when the command (or the container, for attach) ends,
 * then a normal close.
 */
import type WebSocket from "ws";
import type { ContainerHandle, ExecProcess } from "../runtime/runtime.ts";
import {
  Channel,
  decodeFrame,
  encodeFrame,
  encodeStatus,
  exitCodeStatus,
  internalErrorStatus,
  type ProtocolTraits,
  ResizeDecoder,
  type StreamStatus,
  successStatus,
  type TerminalSize,
  traitsOf,
} from "./channel-protocol.ts";
import type { ContainerInstance, LocatedContainer } from "./container-locator.ts";
import { readCriRecords } from "./cri-log.ts";
import type { SpdyConnection, SpdyStream } from "./spdy.ts";

/** Which streams a request asks for (tty merges stderr into stdout). */
export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

function flag(query: URLSearchParams, ...names: string[]): boolean {
  return names.some((name) => {
    const value = query.get(name);
    return value === "1" || value === "true";
  });
}

/**
 * The stream options of an exec or attach URL. The kubelet's parameters are
 * `input`, `output`, `error` and `tty` (what the API server sends); `stdin`,
 * `stdout` and `stderr` (the API's names) are accepted too.
 */
export function streamOptions(query: URLSearchParams): StreamOptions | string {
  const tty = flag(query, "tty");
  const stdin = flag(query, "input", "stdin");
  const stdout = flag(query, "output", "stdout");
  // As the kubelet: stderr is not served with a TTY (it is in stdout).
  const stderr = !tty && flag(query, "error", "stderr");
  if (!stdin && !stdout && !stderr) return "you must specify at least 1 of stdin, stdout, stderr";
  return { stdin, stdout, stderr, tty };
}

/**
 * The streams of one exec or attach, whatever carries them (WebSocket
 * channels or SPDY streams): input callbacks, output writes, the final status.
 */
export interface CommandSession {
  onStdin: (data: Uint8Array) => void;
  onStdinClose: () => void;
  onResize: (size: TerminalSize) => void;
  /** Resolves when the connection has closed (either side). */
  readonly closed: Promise<void>;
  /** Tells the client the streams are ready (WebSocket only). */
  announce(): Promise<void>;
  /** Sends data on stdout or stderr (dropped when the request did not ask for it). */
  write(channel: number, data: Uint8Array): Promise<void>;
  /** Reports the status and ends the session. */
  finish(status: StreamStatus): Promise<void>;
  /** Drops the connection (the agent is stopping). */
  terminate(): void;
}

/**
 * One channel connection: frames out, frames in, the status at the end. Writes
 * for channels the request did not ask for are dropped, as are frames for
 * channels no one reads.
 */
export class ChannelSession implements CommandSession {
  readonly protocol: ProtocolTraits;
  /** Resolves when the connection has closed (either side). */
  readonly closed: Promise<void>;
  onStdin: (data: Uint8Array) => void = () => {};
  onStdinClose: () => void = () => {};
  onResize: (size: TerminalSize) => void = () => {};
  private isClosed = false;
  private finished = false;
  private readonly resize = new ResizeDecoder();

  constructor(
    private readonly socket: WebSocket,
    private readonly options: StreamOptions,
  ) {
    this.protocol = traitsOf(socket.protocol ?? "");
    this.closed = new Promise((resolve) => {
      socket.once("close", () => {
        this.isClosed = true;
        resolve();
      });
      socket.once("error", () => {
        this.isClosed = true;
        resolve();
      });
    });
    socket.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const bytes = toBytes(data);
      const frame = decodeFrame(this.protocol, isBinary ? bytes : Buffer.from(bytes).toString());
      if (!frame) return;
      if (frame.type === "close") {
        if (frame.channel === Channel.stdin && this.options.stdin) this.onStdinClose();
        return;
      }
      if (frame.channel === Channel.stdin && this.options.stdin) this.onStdin(frame.data);
      else if (frame.channel === Channel.resize) {
        for (const size of this.resize.push(frame.data)) this.onResize(size);
      }
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /**
   * Tells the client the streams are ready: an empty frame on the lowest
   * channel it reads (stdout, else stderr, else error), as the kubelet does.
   */
  announce(): Promise<void> {
    const channel = this.options.stdout
      ? Channel.stdout
      : this.options.stderr
        ? Channel.stderr
        : Channel.error;
    return this.send(channel, new Uint8Array(0));
  }

  /** Sends data on an output channel; resolves once handed to the socket. */
  write(channel: number, data: Uint8Array): Promise<void> {
    if (channel === Channel.stdout && !this.options.stdout) return Promise.resolve();
    if (channel === Channel.stderr && !this.options.stderr) return Promise.resolve();
    return this.send(channel, data);
  }

  /** Writes the status on the error channel, then closes normally. */
  async finish(status: StreamStatus): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const payload = encodeStatus(this.protocol, status);
    if (payload) await this.send(Channel.error, payload);
    if (!this.isClosed) this.socket.close(1000);
  }

  /** Drops the connection (the agent is stopping). */
  terminate(): void {
    this.socket.terminate();
  }

  private send(channel: number, data: Uint8Array): Promise<void> {
    if (this.isClosed || this.socket.readyState !== this.socket.OPEN) return Promise.resolve();
    const frame = encodeFrame(this.protocol, channel, data);
    return new Promise((resolve) => {
      this.socket.send(frame, { binary: this.protocol.binary }, () => resolve());
    });
  }
}

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Copies a process's output stream to a channel (or drains it when not asked for). */
async function pump(
  source: ReadableStream<Uint8Array> | null,
  session: CommandSession,
  channel: number,
): Promise<void> {
  if (!source) return;
  const reader = source.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value && value.length > 0) await session.write(channel, value);
    }
  } catch {
    // The process's pipe broke: what it wrote is what there is.
  } finally {
    reader.releaseLock();
  }
}

/**
 * Runs `argv` in the container and serves its streams until it ends: stdin
 * from channel 0 (EOF on v5's close signal), stdout/stderr to 1/2, resizes
 * from 4, then Success or NonZeroExitCode on 3. A client that goes away
 * takes the command with it.
 */
export async function serveExec(
  session: CommandSession,
  handle: ContainerHandle,
  argv: string[],
  options: StreamOptions,
): Promise<void> {
  let process: ExecProcess;
  try {
    process = await handle.exec(argv, { stdin: options.stdin, tty: options.tty });
  } catch (error) {
    await session.finish(
      internalErrorStatus(`error executing command in container: ${errorMessage(error)}`),
    );
    return;
  }
  let exited = false;
  const stdin = process.stdin?.getWriter() ?? null;
  let stdinChain: Promise<unknown> = Promise.resolve();
  let stdinClosed = false;
  const closeStdin = () => {
    if (stdinClosed || !stdin) return;
    stdinClosed = true;
    stdinChain = stdinChain.then(() => stdin.close()).catch(() => {});
  };
  if (!options.stdin) closeStdin();
  session.onStdin = (data) => {
    if (stdinClosed || !stdin) return;
    const copy = data.slice();
    stdinChain = stdinChain.then(() => stdin.write(copy)).catch(() => {});
  };
  session.onStdinClose = closeStdin;
  session.onResize = (size) => {
    if (options.tty && size.Width > 0 && size.Height > 0) process.resize(size.Width, size.Height);
  };
  void session.closed.then(() => {
    closeStdin();
    if (!exited) process.kill("SIGKILL");
  });
  await session.announce();
  const outputs = Promise.all([
    pump(process.stdout, session, Channel.stdout),
    pump(process.stderr, session, Channel.stderr),
  ]);
  const code = await process.exited;
  exited = true;
  await outputs;
  closeStdin();
  await session.finish(code === 0 ? successStatus() : exitCodeStatus(code));
}

/** The writers of containers' stdin, shared by every attach (one writer per stream). */
const stdinWriters = new WeakMap<
  WritableStream<Uint8Array>,
  { writer: WritableStreamDefaultWriter<Uint8Array>; chain: Promise<unknown>; closed: boolean }
>();

function sharedWriter(stream: WritableStream<Uint8Array>) {
  let entry = stdinWriters.get(stream);
  if (!entry) {
    entry = { writer: stream.getWriter(), chain: Promise.resolve(), closed: false };
    stdinWriters.set(stream, entry);
  }
  return entry;
}

/**
 * Attaches to a running instance: its output from now on (read from its log,
 * which carries every line the instance writes, stdout and stderr apart) and,
 * when the container has stdin, input to it. Ends with Success when the
 * instance exits; closing stdin (v5) closes the container's stdin only for
 * `stdinOnce` containers, as the runtime does.
 */
export async function serveAttach(
  session: CommandSession,
  container: LocatedContainer,
  instance: ContainerInstance & { handle: ContainerHandle },
  options: StreamOptions,
): Promise<void> {
  const handle = instance.handle;
  const input = options.stdin && container.stdin !== false && handle.stdin;
  if (input) {
    const shared = sharedWriter(input);
    session.onStdin = (data) => {
      if (shared.closed) return;
      const copy = data.slice();
      shared.chain = shared.chain.then(() => shared.writer.write(copy)).catch(() => {});
    };
    session.onStdinClose = () => {
      if (!container.stdinOnce || shared.closed) return;
      shared.closed = true;
      shared.chain = shared.chain.then(() => shared.writer.close()).catch(() => {});
    };
  }
  const abort = new AbortController();
  void session.closed.then(() => abort.abort());
  await session.announce();
  try {
    for await (const batch of readCriRecords(instance.logPath, {
      start: { from: "end" },
      follow: true,
      exited: handle.exited,
      signal: abort.signal,
      pollMs: 50,
    })) {
      for (const record of batch) {
        const channel =
          record.stream === "stderr" && !container.tty ? Channel.stderr : Channel.stdout;
        const data = record.partial ? record.content : withNewline(record.content);
        await session.write(channel, data);
      }
    }
  } catch (error) {
    await session.finish(
      internalErrorStatus(`error attaching to container: ${errorMessage(error)}`),
    );
    return;
  }
  await session.finish(successStatus());
}

function withNewline(content: Uint8Array): Uint8Array {
  const line = new Uint8Array(content.length + 1);
  line.set(content, 0);
  line[content.length] = 0x0a;
  return line;
}

/** How long a SPDY client has to open its streams (the kubelet's stream creation timeout). */
const streamCreationTimeoutMs = 30_000;

/**
 * exec and attach over SPDY (v4.channel.k8s.io, kubectl ≤ 1.29): the client
 * opens one stream per `streamtype` (error, stdin, stdout, stderr, resize);
 * the session starts once every stream the request implies is there. The
 * status goes on the error stream as JSON, then every stream is finished and
 * the connection closed.
 */
export class SpdyCommandSession implements CommandSession {
  onStdin: (data: Uint8Array) => void = () => {};
  onStdinClose: () => void = () => {};
  onResize: (size: TerminalSize) => void = () => {};
  readonly closed: Promise<void>;
  private finished = false;
  private readonly resize = new ResizeDecoder();

  private constructor(
    private readonly connection: SpdyConnection,
    private readonly streams: Map<string, SpdyStream>,
  ) {
    this.closed = connection.closed;
    const stdin = streams.get("stdin");
    if (stdin) {
      stdin.onData = (data) => this.onStdin(data);
      stdin.onEnd = () => this.onStdinClose();
    }
    const resize = streams.get("resize");
    if (resize) {
      resize.onData = (data) => {
        for (const size of this.resize.push(data)) this.onResize(size);
      };
    }
  }

  /** Waits for the client's streams; rejects (and closes) when they do not all come. */
  static accept(connection: SpdyConnection, options: StreamOptions): Promise<SpdyCommandSession> {
    const expected = new Set(["error"]);
    if (options.stdin) expected.add("stdin");
    if (options.stdout) expected.add("stdout");
    if (options.stderr) expected.add("stderr");
    if (options.tty) expected.add("resize");
    const streams = new Map<string, SpdyStream>();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        connection.destroy();
        reject(new Error("timed out waiting for client to create streams"));
      }, streamCreationTimeoutMs);
      void connection.closed.then(() => {
        clearTimeout(timer);
        reject(new Error("the client closed the connection before creating its streams"));
      });
      connection.onStream = (stream) => {
        const type = stream.header("streamtype");
        if (!type || streams.has(type)) return false;
        streams.set(type, stream);
        if ([...expected].every((name) => streams.has(name))) {
          clearTimeout(timer);
          resolve(new SpdyCommandSession(connection, streams));
        }
        return true;
      };
    });
  }

  announce(): Promise<void> {
    return Promise.resolve();
  }

  write(channel: number, data: Uint8Array): Promise<void> {
    const stream = this.streams.get(
      channel === Channel.stdout ? "stdout" : channel === Channel.stderr ? "stderr" : "",
    );
    return stream ? stream.write(data) : Promise.resolve();
  }

  async finish(status: StreamStatus): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const error = this.streams.get("error");
    await error?.write(new TextEncoder().encode(JSON.stringify(status)));
    for (const name of ["stdout", "stderr", "error"]) await this.streams.get(name)?.end();
    await this.connection.close();
  }

  terminate(): void {
    this.connection.destroy();
  }
}
