/**
 * pods/portforward as the kubelet serves it: each forwarded connection is a
 * TCP connection from the agent to the pod's port. Pods share the host network
 * in kubun's process runtime, so the pod's port is the host's loopback port.
 *
 * Three transports reach it:
 *
 * - SPDY/3.1 (`X-Stream-Protocol-Version: portforward.k8s.io`, kubectl ≤ 1.30):
 *   per forwarded connection the client opens an error stream and a data
 *   stream, both with the headers `streamType` (error | data), `port` and
 *   `requestID` (upstream's kubelet httpstream.go). The pair is forwarded once
 *   both are there; a failure is written as text on the error stream; both
 *   streams are then finished.
 * - SPDY tunneled through a WebSocket (kubectl ≥ 1.31, PortForwardWebsockets):
 *   subprotocol `SPDY/3.1+portforward.k8s.io`, the same SPDY connection carried
 *   as a byte stream in binary messages, message boundaries meaning nothing
 *   (client-go's TunnelingConnection); a normal close is the end of the stream.
 * - WebSocket channels (client libraries; upstream's kubelet websocket.go):
 *   subprotocol `v4.channel.k8s.io`, `v4.base64.channel.k8s.io` or none, the
 *   ports in the query (`port=80,443`), channels 2i (data) and 2i+1 (error)
 *   for the i-th port, the first message on each carrying the port as a
 *   little-endian uint16. One connection per port; the WebSocket closes when
 *   all of them have ended.
 */
import { connect, type Socket } from "node:net";
import { Duplex } from "node:stream";
import type WebSocket from "ws";
import type { Logger } from "../../log/logger.ts";
import { decodeFrame, encodeFrame, type ProtocolTraits, traitsOf } from "./channel-protocol.ts";
import type { SpdyConnection, SpdyStream } from "./spdy.ts";

/** The stream protocol of port-forward over SPDY (client-go's PortForwardProtocolV1Name). */
export const portForwardProtocol = "portforward.k8s.io";
/** The prefix of WebSocket subprotocols that tunnel SPDY (WebsocketsSPDYTunnelingPrefix). */
export const tunnelingPrefix = "SPDY/3.1+";
/** Tunneled protocols must be Kubernetes ones (upstream's KubernetesSuffix). */
const kubernetesSuffix = ".k8s.io";
/** The WebSocket channel subprotocols of port-forward (besides none at all). */
export const portForwardChannelProtocols: readonly string[] = [
  "v4.channel.k8s.io",
  "v4.base64.channel.k8s.io",
];

/** How long a SPDY client has to open both streams of a pair (the kubelet's stream creation timeout). */
const streamCreationTimeoutMs = 30_000;
/** Once one direction of a connection has ended, how long the other has (as containerd's). */
const halfClosedGraceMs = 1_000;

/** The pod as the kubelet names it in port-forward errors. */
export interface PortForwardTarget {
  /** The pod's full name, `name_namespace` (kubelet's GetPodFullName). */
  pod: string;
  uid: string;
}

/** Opens the connection to the pod's port; rejects with the reason as its message. */
export type PortDialer = (port: number) => Promise<Socket>;

export interface PortForwardOptions {
  dial?: PortDialer;
  log?: Logger;
  /** For tests: the stream creation timeout. */
  streamCreationTimeoutMs?: number;
}

/** Go's text for the errno codes a dial or a copy meets. */
const errnoText: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  ECONNABORTED: "software caused connection abort",
  EPIPE: "broken pipe",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network is unreachable",
  EADDRNOTAVAIL: "cannot assign requested address",
  EAFNOSUPPORT: "address family not supported by protocol",
};

function errnoMessage(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && errnoText[code]) return errnoText[code];
  return error instanceof Error ? error.message : String(error);
}

function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** One TCP connection attempt, failing as Go's net.Dial words it. */
function connectTo(network: "tcp4" | "tcp6", host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, allowHalfOpen: true });
    const failed = (error: Error) => {
      socket.destroy();
      reject(
        new Error(`dial ${network} ${joinHostPort(host, port)}: connect: ${errnoMessage(error)}`, {
          cause: error,
        }),
      );
    };
    socket.once("error", failed);
    socket.once("connect", () => {
      socket.off("error", failed);
      resolve(socket);
    });
  });
}

/**
 * Connects to localhost:port, IPv4 first and then IPv6, as containerd does in
 * a pod's network namespace (here: the host's, which pods share).
 */
export async function dialLoopback(port: number): Promise<Socket> {
  let v4: Error;
  try {
    return await connectTo("tcp4", "127.0.0.1", port);
  } catch (error) {
    v4 = error as Error;
  }
  try {
    return await connectTo("tcp6", "::1", port);
  } catch (error) {
    throw new Error(
      `failed to connect to localhost:${port} in the pod's network, IPv4: ${v4.message} IPv6 ${(error as Error).message}`,
    );
  }
}

/** The end of a forwarded connection on the client's side: a SPDY stream or a channel. */
export interface ForwardStream {
  onData: (data: Uint8Array) => void;
  /** The client will send no more (half-close). */
  onEnd: () => void;
  /** The client abandoned the stream (reset, or the connection is gone). */
  onReset: () => void;
  write(data: Uint8Array): Promise<void>;
  /** Half-closes our side. */
  end(): Promise<void>;
}

/**
 * Copies bytes between a client stream and a connection to the pod's port.
 * Created as soon as the stream exists, it keeps what the client sends before
 * the connection is up.
 */
export class Forwarding {
  private early: Uint8Array[] = [];
  private clientEnded = false;
  private reset = false;
  private deliver: (data: Uint8Array) => void;
  private ended: () => void = () => {};
  private abandoned: () => void = () => {};

  constructor(private readonly stream: ForwardStream) {
    this.deliver = (data) => this.early.push(data.slice());
    stream.onData = (data) => this.deliver(data);
    stream.onEnd = () => {
      if (this.clientEnded) return;
      this.clientEnded = true;
      this.ended();
    };
    stream.onReset = () => {
      if (this.reset) return;
      this.reset = true;
      this.abandoned();
    };
  }

  /**
   * Connects and copies until both sides are done (or the client resets);
   * resolves with the reason it failed, null when it did not. Once connected,
   * the stream is finished (our half) when the pod's side is; a connection
   * that failed leaves that to the caller, after it has reported why.
   */
  async run(port: number, dial: PortDialer = dialLoopback): Promise<string | null> {
    let socket: Socket;
    try {
      socket = await dial(port);
    } catch (error) {
      return this.reset ? null : error instanceof Error ? error.message : String(error);
    }
    if (this.reset) {
      socket.destroy();
      await this.stream.end();
      return null;
    }
    return this.pipe(socket);
  }

  private pipe(socket: Socket): Promise<string | null> {
    const stream = this.stream;
    // Go names a connection's errors by its addresses (gone once it has failed).
    const network = socket.remoteFamily === "IPv6" ? "tcp6" : "tcp4";
    const local = joinHostPort(socket.localAddress ?? "", socket.localPort ?? 0);
    const remote = joinHostPort(socket.remoteAddress ?? "", socket.remotePort ?? 0);
    return new Promise((resolve) => {
      let failure: string | null = null;
      let podEnded = false;
      let finished = false;
      let grace: ReturnType<typeof setTimeout> | undefined;
      // Pod → client writes, in order; the stream's end goes after them.
      let writes: Promise<unknown> = Promise.resolve();
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(grace);
        socket.destroy();
        void writes
          .then(() => stream.end())
          .catch(() => {})
          .then(() => resolve(failure));
      };
      this.deliver = (data) => {
        if (!finished && socket.writable) socket.write(data);
      };
      this.ended = () => {
        if (podEnded) finish();
        else if (socket.writable) socket.end();
      };
      this.abandoned = finish;
      for (const chunk of this.early) socket.write(chunk);
      this.early = [];
      if (this.clientEnded) socket.end();
      socket.on("data", (chunk: Buffer) => {
        socket.pause();
        writes = writes
          .then(() => stream.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)))
          .catch(() => {})
          .then(() => {
            if (!finished) socket.resume();
          });
      });
      socket.on("end", () => {
        podEnded = true;
        writes = writes.then(() => stream.end()).catch(() => {});
        if (this.clientEnded) finish();
        else grace = setTimeout(finish, halfClosedGraceMs);
      });
      socket.on("error", (error: NodeJS.ErrnoException) => {
        if (finished || failure) return;
        const op = error.syscall === "write" ? "write" : "read";
        failure = `${op} ${network} ${local}->${remote}: ${op}: ${errnoMessage(error)}`;
      });
      socket.on("close", finish);
      if (this.reset) finish();
    });
  }
}

function portError(target: PortForwardTarget, port: number, cause: string): string {
  return `error forwarding port ${port} to pod ${target.pod}, uid ${target.uid}: ${cause}`;
}

function validPort(text: string | undefined, header: string): number | string {
  if (text === undefined || text === "") return `"${header}" header is required`;
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535) {
    const reason = Number.isNaN(port) ? "invalid syntax" : "value out of range";
    return `unable to parse "${text}" as a port: strconv.ParseUint: parsing "${text}": ${reason}`;
  }
  if (port < 1) return `port "${text}" must be > 0`;
  return port;
}

/**
 * Why the kubelet would refuse a port-forward stream (it resets it), or null:
 * a `port` header with a port, a `streamType` header of error or data.
 */
export function streamProblem(headers: { port?: string; streamType?: string }): string | null {
  const port = validPort(headers.port, "port");
  if (typeof port === "string") return port;
  if (!headers.streamType) return `"streamType" header is required`;
  if (headers.streamType !== "error" && headers.streamType !== "data") {
    return `invalid stream type "${headers.streamType}"`;
  }
  return null;
}

interface StreamPair {
  requestId: string;
  data: SpdyStream | null;
  error: SpdyStream | null;
  forwarding: Forwarding | null;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Port-forward over a SPDY connection (direct or tunneled): pairs the
 * client's streams by requestID and forwards each pair.
 */
export class SpdyPortForward {
  readonly closed: Promise<void>;
  private readonly pairs = new Map<string, StreamPair>();
  private readonly dial: PortDialer;
  private readonly timeoutMs: number;

  constructor(
    private readonly connection: SpdyConnection,
    private readonly target: PortForwardTarget,
    private readonly options: PortForwardOptions = {},
  ) {
    this.dial = options.dial ?? dialLoopback;
    this.timeoutMs = options.streamCreationTimeoutMs ?? streamCreationTimeoutMs;
    this.closed = connection.closed.then(() => {
      for (const pair of this.pairs.values()) clearTimeout(pair.timer);
      this.pairs.clear();
    });
    connection.onStream = (stream) => this.accept(stream);
  }

  /** Drops the connection (the agent is stopping). */
  terminate(): void {
    this.connection.destroy();
  }

  private accept(stream: SpdyStream): boolean {
    const problem = streamProblem({
      port: stream.header("port"),
      streamType: stream.header("streamtype"),
    });
    if (problem) {
      this.options.log?.warn("port-forward stream rejected", { pod: this.target.pod, problem });
      return false;
    }
    // A data stream keeps what arrives from the start; the pair forwards it later.
    const forwarding = stream.header("streamtype") === "data" ? new Forwarding(stream) : null;
    // After the stream's SYN_REPLY has gone out (onStream runs just before it).
    queueMicrotask(() => this.add(stream, forwarding));
    return true;
  }

  /** The stream's request; old clients sent none: then its id says (error n, data n+2). */
  private requestId(stream: SpdyStream): string {
    const id = stream.header("requestid");
    if (id) return id;
    return String(stream.header("streamtype") === "error" ? stream.id : stream.id - 2);
  }

  private add(stream: SpdyStream, forwarding: Forwarding | null): void {
    const requestId = this.requestId(stream);
    let pair = this.pairs.get(requestId);
    if (!pair) {
      const created: StreamPair = {
        requestId,
        data: null,
        error: null,
        forwarding: null,
        timer: setTimeout(() => this.timedOut(created), this.timeoutMs),
      };
      pair = created;
      this.pairs.set(requestId, pair);
    }
    const type = forwarding ? "data" : "error";
    if ((type === "data" && pair.data) || (type === "error" && pair.error)) {
      const message = `error processing stream for request ${requestId}: ${type} stream already assigned`;
      this.options.log?.warn("port-forward stream refused", { pod: this.target.pod, message });
      void pair.error?.write(new TextEncoder().encode(message));
      void stream.end();
      return;
    }
    if (forwarding) {
      pair.data = stream;
      pair.forwarding = forwarding;
    } else {
      pair.error = stream;
    }
    if (pair.data && pair.error && pair.forwarding) {
      clearTimeout(pair.timer);
      this.pairs.delete(requestId);
      void this.forward(pair.data, pair.error, pair.forwarding);
    }
  }

  private timedOut(pair: StreamPair): void {
    if (this.pairs.get(pair.requestId) !== pair) return;
    this.pairs.delete(pair.requestId);
    const message = `(conn=${this.target.pod}, request=${pair.requestId}) timed out waiting for streams`;
    this.options.log?.warn("port-forward streams incomplete", { message });
    const error = pair.error;
    if (error) void error.write(new TextEncoder().encode(message)).then(() => error.end());
    void pair.data?.end();
  }

  /** As the kubelet: the reason on the error stream, then both streams finished. */
  private async forward(data: SpdyStream, error: SpdyStream, forwarding: Forwarding) {
    const port = Number(data.header("port"));
    const cause = await forwarding.run(port, this.dial);
    if (cause) {
      const message = portError(this.target, port, cause);
      this.options.log?.warn("port-forward failed", { message });
      await error.write(new TextEncoder().encode(message));
    }
    await error.end();
    await data.end();
  }
}

/**
 * The ports of a WebSocket port-forward: the `port` query parameters, each a
 * comma-separated list (upstream's NewV4Options); a string when invalid.
 */
export function channelPorts(query: URLSearchParams): number[] | string {
  const values = query.getAll("port");
  if (values.length === 0) return `query parameter "port" is required`;
  const ports: number[] = [];
  for (const value of values) {
    if (value === "") return `query parameter "port" cannot be empty`;
    for (const part of value.split(",")) {
      const port = /^\d+$/.test(part) ? Number(part) : Number.NaN;
      if (!Number.isInteger(port) || port > 65535) {
        const reason = Number.isNaN(port) ? "invalid syntax" : "value out of range";
        return `unable to parse "${value}" as a port: strconv.ParseUint: parsing "${part}": ${reason}`;
      }
      if (port < 1) return `port "${value}" must be > 0`;
      ports.push(port);
    }
  }
  return ports;
}

/** The port as the first message of each channel carries it: little-endian uint16. */
export function portPrefix(port: number): Uint8Array {
  return new Uint8Array([port & 0xff, (port >> 8) & 0xff]);
}

/** The subprotocols a WebSocket upgrade offers (Sec-WebSocket-Protocol, comma-separated). */
export function offeredSubprotocols(header: string | string[] | undefined): string[] {
  return [header ?? []]
    .flat()
    .flatMap((value) => value.split(","))
    .map((value) => value.trim())
    .filter(Boolean);
}

/**
 * For a WebSocket that tunnels SPDY: the SPDY stream protocols it offers
 * (`SPDY/3.1+…k8s.io` without the prefix); null when it offers no tunneling
 * subprotocol at all (a channel WebSocket).
 */
export function tunneledProtocols(offered: readonly string[]): string[] | null {
  if (!offered.some((protocol) => protocol.startsWith(tunnelingPrefix))) return null;
  return offered
    .filter((p) => p.startsWith(tunnelingPrefix) && p.endsWith(kubernetesSuffix))
    .map((p) => p.slice(tunnelingPrefix.length));
}

/**
 * The subprotocol a port-forward WebSocket is answered with: the tunneling
 * one for the negotiated SPDY protocol, else the first channel protocol the
 * client offers; false when none is served.
 */
export function selectPortForwardProtocol(offered: Iterable<string>): string | false {
  const list = [...offered];
  const tunneled = tunneledProtocols(list);
  if (tunneled) {
    return tunneled.includes(portForwardProtocol) ? tunnelingPrefix + portForwardProtocol : false;
  }
  return list.find((protocol) => portForwardChannelProtocols.includes(protocol)) ?? false;
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}

/**
 * A WebSocket as the byte stream it tunnels: what is written goes out as
 * binary messages, binary messages come in as data, a close ends the stream
 * (client-go's TunnelingConnection). A text message breaks the tunnel.
 */
export class WebSocketTunnel extends Duplex {
  constructor(private readonly ws: WebSocket) {
    super();
    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      if (!isBinary) {
        this.destroy(new Error("invalid message type received"));
        return;
      }
      this.push(toBuffer(data));
    });
    ws.once("close", () => {
      this.push(null);
      this.destroy();
    });
    ws.once("error", (error: Error) => this.destroy(error));
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      callback();
      return;
    }
    this.ws.send(chunk, { binary: true }, () => callback());
  }

  override _final(callback: () => void): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000);
    callback();
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.terminate();
    }
    callback(error);
  }
}

/** One port's data channel as a forward stream: no half-close exists on channels. */
class ChannelStream implements ForwardStream {
  onData: (data: Uint8Array) => void = () => {};
  onEnd: () => void = () => {};
  onReset: () => void = () => {};

  constructor(
    private readonly session: ChannelPortForward,
    private readonly channel: number,
  ) {}

  write(data: Uint8Array): Promise<void> {
    return this.session.send(this.channel, data);
  }

  end(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Port-forward over WebSocket channels: the port on both channels of each
 * pair first, one forwarded connection per port, failures as text on the
 * error channel, then a normal close once every port is done.
 */
export class ChannelPortForward {
  readonly protocol: ProtocolTraits;
  /** Resolves when the session has ended (the WebSocket is closed or closing). */
  readonly done: Promise<void>;
  private readonly streams: ChannelStream[];
  private readonly forwardings: Forwarding[];

  constructor(
    private readonly ws: WebSocket,
    private readonly ports: readonly number[],
    private readonly target: PortForwardTarget,
    private readonly options: PortForwardOptions = {},
  ) {
    this.protocol = traitsOf(ws.protocol ?? "");
    this.streams = ports.map((_, i) => new ChannelStream(this, 2 * i));
    this.forwardings = this.streams.map((stream) => new Forwarding(stream));
    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const bytes = toBuffer(data);
      const frame = decodeFrame(this.protocol, isBinary ? bytes : bytes.toString());
      // Only data channels are read; error channels and unknown ones are ignored.
      if (frame?.type !== "data" || frame.channel % 2 !== 0) return;
      this.streams[frame.channel / 2]?.onData(frame.data);
    });
    const gone = () => {
      for (const stream of this.streams) stream.onReset();
    };
    ws.once("close", gone);
    ws.once("error", gone);
    this.done = this.run();
  }

  /** Drops the connection (the agent is stopping). */
  terminate(): void {
    this.ws.terminate();
  }

  /** @internal Sends one channel's data; resolves once handed to the socket. */
  send(channel: number, data: Uint8Array): Promise<void> {
    if (this.ws.readyState !== this.ws.OPEN) return Promise.resolve();
    const frame = encodeFrame(this.protocol, channel, data);
    return new Promise((resolve) => {
      this.ws.send(frame, { binary: this.protocol.binary }, () => resolve());
    });
  }

  private async run(): Promise<void> {
    for (const [i, port] of this.ports.entries()) {
      await this.send(2 * i, portPrefix(port));
      await this.send(2 * i + 1, portPrefix(port));
    }
    const dial = this.options.dial ?? dialLoopback;
    await Promise.all(
      this.ports.map(async (port, i) => {
        const cause = await this.forwardings[i]?.run(port, dial);
        if (!cause) return;
        const message = portError(this.target, port, cause);
        this.options.log?.warn("port-forward failed", { message });
        await this.send(2 * i + 1, new TextEncoder().encode(message));
      }),
    );
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000);
  }
}
