/**
 * The node agent's HTTPS server (the kubelet's port 10250): container logs,
 * exec, attach and port-forward for the API server, over mutual TLS.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { hostname } from "node:os";
import type { Duplex } from "node:stream";
import {
  createServer as createTlsServer,
  type TLSSocket,
  type Server as TlsServer,
} from "node:tls";
import { getRequestListener, type HttpBindings } from "@hono/node-server";
import { Hono } from "hono";
import { WebSocketServer } from "ws";
import { certificateUser } from "../../auth/authenticator.ts";
import type { UserInfo } from "../../auth/types.ts";
import type { Logger } from "../../log/logger.ts";
import type { ContainerHandle } from "../runtime/runtime.ts";
import { selectProtocol, streamProtocols } from "./channel-protocol.ts";
import type {
  ContainerInstance,
  ContainerLocator,
  LocatedContainer,
  LocatedPod,
} from "./container-locator.ts";
import { type LogOptions, type LogStream, readContainerLog } from "./cri-log.ts";
import {
  ChannelPortForward,
  channelPorts,
  offeredSubprotocols,
  type PortDialer,
  type PortForwardTarget,
  portForwardChannelProtocols,
  portForwardProtocol,
  SpdyPortForward,
  selectPortForwardProtocol,
  tunneledProtocols,
  tunnelingPrefix,
  WebSocketTunnel,
} from "./port-forward.ts";
import {
  ChannelSession,
  type CommandSession,
  SpdyCommandSession,
  type StreamOptions,
  serveAttach,
  serveExec,
  streamOptions,
} from "./remote-command.ts";
import { negotiateStreamProtocol, SpdyConnection, spdyProtocol } from "./spdy.ts";
import { StatsSummary } from "./stats-summary.ts";

/** The user the API server presents to agents (upstream's kubelet client certificate). */
export const apiServerClientUser = "kube-apiserver-kubelet-client";

export interface AgentServerOptions {
  /** Listening address and port (0: any free port; start() returns the bound one). */
  host: string;
  port: number;
  /** The agent's serving certificate and key, PEM. */
  certPem: string;
  keyPem: string;
  /** The cluster CA: client certificates must chain to it. */
  caPem: string;
  locator: ContainerLocator;
  log: Logger;
  /** The node's name, in /stats/summary (default: the host name). */
  nodeName?: string;
  /** How port-forward reaches a pod's port (default: localhost, pods share the host network). */
  dialPort?: PortDialer;
}

/** An HTTP error answered as plain text (the kubelet's style), or as Status JSON on upgrades. */
class AgentError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Who may talk to the agent: a client certificate from the cluster CA naming
 * the API server's kubelet client, or a member of system:masters. No (valid)
 * certificate is 401, any other user 403.
 */
export function admitClient(socket: TLSSocket | undefined): AgentError | null {
  const user: UserInfo | "invalid" | null = socket ? certificateUser(socket) : null;
  if (user === null || user === "invalid") return new AgentError(401, "Unauthorized");
  if (user.user === apiServerClientUser || user.groups.includes("system:masters")) return null;
  return new AgentError(
    403,
    `Forbidden (user=${user.user}, verb=get, resource=nodes, subresource=proxy)`,
  );
}

type Env = { Bindings: HttpBindings };

/** `/exec|attach/{namespace}/{pod}/{container}` or `…/{pod}/{uid}/{container}`. */
const streamPath = /^\/(exec|attach)\/([^/]+)\/([^/]+)\/(?:([^/]+)\/)?([^/]+)$/;
/** `/portForward/{namespace}/{pod}` or `…/{pod}/{uid}`. */
const portForwardPath = /^\/portForward\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/;

export class AgentServer {
  private tls: TlsServer | null = null;
  private http: Server | null = null;
  private readonly sockets = new Set<TLSSocket>();
  private readonly sessions = new Set<CommandSession>();
  private readonly websockets = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => selectProtocol(protocols),
  });
  private readonly portForwards = new Set<{ terminate(): void }>();
  private readonly portForwardSockets = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => selectPortForwardProtocol(protocols),
  });
  /** The tunneling subprotocol each tunneled port-forward upgrade is answered with. */
  private readonly tunnelProtocols = new WeakMap<IncomingMessage, string>();
  private readonly stats: StatsSummary;

  constructor(private readonly options: AgentServerOptions) {
    this.stats = new StatsSummary({
      nodeName: options.nodeName ?? hostname(),
      locator: options.locator,
    });
    this.portForwardSockets.on("headers", (headers: string[], request: IncomingMessage) => {
      const protocol = this.tunnelProtocols.get(request);
      if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
    });
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    const app = this.app();
    // Keep the global Request/Response: the agent may share a process with Bun.serve users.
    const http = createHttpServer(getRequestListener(app.fetch, { overrideGlobalObjects: false }));
    http.on("upgrade", (request, socket, head) => void this.upgrade(request, socket, head));
    const tls = createTlsServer(
      {
        cert: this.options.certPem,
        key: this.options.keyPem,
        ca: this.options.caPem,
        requestCert: true,
        // Unverified clients still connect: they are answered 401, not dropped.
        rejectUnauthorized: false,
        minVersion: "TLSv1.2",
        ALPNProtocols: ["http/1.1"],
      },
      (socket) => {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        http.emit("connection", socket);
      },
    );
    this.http = http;
    this.tls = tls;
    await new Promise<void>((resolve, reject) => {
      tls.once("error", reject);
      tls.listen(this.options.port, this.options.host, () => {
        tls.off("error", reject);
        resolve();
      });
    });
    const address = tls.address();
    return typeof address === "object" && address ? address.port : this.options.port;
  }

  /** Serves a renewed certificate to new connections. */
  replaceServingCertificate(certPem: string, keyPem: string): void {
    this.tls?.setSecureContext({
      cert: certPem,
      key: keyPem,
      ca: this.options.caPem,
      minVersion: "TLSv1.2",
    });
  }

  async stop(): Promise<void> {
    for (const session of this.sessions) session.terminate();
    for (const forward of this.portForwards) forward.terminate();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.tls ? this.tls.close(() => resolve()) : resolve()));
    this.http?.close();
  }

  private app(): Hono<Env> {
    const app = new Hono<Env>();
    app.use("*", async (c, next) => {
      if (c.req.path === "/healthz") return next();
      const denied = admitClient(c.env?.incoming?.socket as TLSSocket | undefined);
      if (denied) return c.text(denied.message, denied.code as 401 | 403);
      return next();
    });
    app.get("/healthz", (c) => c.text("ok"));
    app.get("/stats/summary", async (c) => c.json(await this.stats.build()));
    app.get("/containerLogs/:namespace/:pod/:container", async (c) => {
      const { namespace, pod, container } = c.req.param();
      return this.containerLogs(
        namespace,
        pod,
        container,
        new URL(c.req.url).searchParams,
        c.req.raw.signal,
      );
    });
    for (const kind of ["exec", "attach"]) {
      app.all(`/${kind}/*`, (c) =>
        c.text("Upgrade request required: exec and attach are served over WebSocket", 400),
      );
    }
    app.all("/portForward/*", (c) =>
      c.text("Upgrade request required: port-forward is served over SPDY/3.1 and WebSocket", 400),
    );
    app.notFound((c) => c.text("404 page not found", 404));
    app.onError((error, c) => {
      if (error instanceof AgentError) return c.text(error.message, error.code as 400);
      this.options.log.error("request failed", { path: c.req.path, error });
      return c.text(error instanceof Error ? error.message : String(error), 500);
    });
    return app;
  }

  private async findPod(namespace: string, name: string, uid?: string): Promise<LocatedPod> {
    const pod = await this.options.locator.findPod(namespace, name, uid);
    if (!pod) throw new AgentError(404, `pod "${name}" does not exist`);
    return pod;
  }

  private findContainer(pod: LocatedPod, name: string): LocatedContainer {
    const container = pod.containers.find((c) => c.name === name);
    if (!container) {
      throw new AgentError(404, `container "${name}" not found in pod "${pod.name}"`);
    }
    return container;
  }

  private async containerLogs(
    namespace: string,
    podName: string,
    containerName: string,
    query: URLSearchParams,
    signal: AbortSignal,
  ): Promise<Response> {
    const options = logOptions(query);
    const previous = booleanFlag(query, "previous");
    const pod = await this.findPod(namespace, podName);
    const container = this.findContainer(pod, containerName);
    const instance = logInstance(pod, container, previous);
    const exited = previous ? null : (instance.handle?.exited ?? null);
    const chunks = readContainerLog(instance.logPath, options, exited, signal);
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          controller.error(error);
        }
      },
      async cancel() {
        await chunks.return(undefined);
      },
    });
    return new Response(body, {
      status: 200,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache" },
    });
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      const denied = admitClient(socket as TLSSocket);
      if (denied) throw denied;
      const url = new URL(request.url ?? "/", "https://localhost");
      const forward = portForwardPath.exec(url.pathname);
      if (forward) {
        const [namespace, podName, uid] = forward
          .slice(1)
          .map((part) => (part === undefined ? undefined : decodeURIComponent(part)));
        return await this.upgradePortForward(
          request,
          socket,
          head,
          url,
          await this.findPod(namespace as string, podName as string, uid),
        );
      }
      const match = streamPath.exec(url.pathname);
      if (!match) throw new AgentError(404, "404 page not found");
      const [, kind, namespace, podName, uid, containerName] = match.map((part) =>
        part === undefined ? undefined : decodeURIComponent(part),
      ) as [string, "exec" | "attach", string, string, string | undefined, string];
      const options = streamOptions(url.searchParams);
      if (typeof options === "string") throw new AgentError(400, options);
      const command = url.searchParams.getAll("command");
      if (kind === "exec" && command.length === 0) {
        throw new AgentError(400, "you must specify at least one command for the container");
      }
      const pod = await this.findPod(namespace, podName, uid);
      const container = this.findContainer(pod, containerName);
      const instance = container.current;
      const handle = instance?.handle ?? null;
      if (!instance || !handle || (await hasEnded(handle))) {
        throw new AgentError(
          400,
          `container ${containerName} is not running in pod ${pod.namespace}/${pod.name}`,
        );
      }
      const serve = (session: CommandSession) => {
        this.sessions.add(session);
        void session.closed.then(() => this.sessions.delete(session));
        const served =
          kind === "exec"
            ? serveExec(session, handle, command, options)
            : serveAttach(session, container, { ...instance, handle }, options);
        served.catch((error) => {
          this.options.log.error(`${kind} failed`, { pod: `${namespace}/${podName}`, error });
          session.terminate();
        });
      };
      const upgradeTo = String(request.headers.upgrade ?? "").toLowerCase();
      if (upgradeTo === spdyProtocol.toLowerCase()) {
        const session = await this.acceptSpdy(request, socket, head, options);
        if (session) serve(session);
        return;
      }
      if (upgradeTo !== "websocket") {
        throw new AgentError(
          400,
          `unsupported upgrade ${JSON.stringify(request.headers.upgrade ?? "")}: ${kind} is served over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io) and SPDY/3.1 (v4.channel.k8s.io)`,
        );
      }
      this.websockets.handleUpgrade(request, socket, head, (ws) => {
        serve(new ChannelSession(ws, options));
      });
    } catch (error) {
      if (error instanceof AgentError) return rejectUpgrade(socket, error.code, error.message);
      this.options.log.error("upgrade failed", { url: request.url, error });
      rejectUpgrade(socket, 500, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * Port-forward (the kubelet's getPortForward): SPDY/3.1, SPDY tunneled
   * through a WebSocket, or WebSocket channels (see port-forward.ts).
   */
  private async upgradePortForward(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    url: URL,
    pod: LocatedPod,
  ): Promise<void> {
    const target: PortForwardTarget = { pod: `${pod.name}_${pod.namespace}`, uid: pod.uid };
    const options = { dial: this.options.dialPort, log: this.options.log };
    const track = (forward: { terminate(): void }, closed: Promise<unknown>) => {
      this.portForwards.add(forward);
      void closed.then(() => this.portForwards.delete(forward));
    };
    const upgradeTo = String(request.headers.upgrade ?? "").toLowerCase();
    if (upgradeTo === spdyProtocol.toLowerCase()) {
      const version = negotiatePortForward(request.headers["x-stream-protocol-version"]);
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${spdyProtocol}\r\nX-Stream-Protocol-Version: ${version}\r\n\r\n`,
      );
      const forward = new SpdyPortForward(new SpdyConnection(socket, head), target, options);
      track(forward, forward.closed);
      return;
    }
    if (upgradeTo !== "websocket") {
      throw new AgentError(
        400,
        `unsupported upgrade ${JSON.stringify(request.headers.upgrade ?? "")}: port-forward is served over SPDY/3.1 and WebSocket`,
      );
    }
    const offered = offeredSubprotocols(request.headers["sec-websocket-protocol"]);
    const tunneled = tunneledProtocols(offered);
    if (tunneled) {
      // kubectl ≥ 1.31: SPDY inside the WebSocket, ports in the streams' headers.
      if (tunneled.length === 0) {
        throw new AgentError(400, "unable to upgrade: no tunneling spdy protocols provided");
      }
      const version = negotiatePortForward(tunneled);
      // "SPDY/3.1+…" is no RFC 7230 token, which the WebSocket server refuses to
      // parse: it answers the negotiated one itself (the "headers" event above).
      delete request.headers["sec-websocket-protocol"];
      this.tunnelProtocols.set(request, tunnelingPrefix + version);
      this.portForwardSockets.handleUpgrade(request, socket, head, (ws) => {
        const connection = new SpdyConnection(new WebSocketTunnel(ws), Buffer.alloc(0));
        const forward = new SpdyPortForward(connection, target, options);
        track(forward, forward.closed);
      });
      return;
    }
    const ports = channelPorts(url.searchParams);
    if (typeof ports === "string") throw new AgentError(400, ports);
    if (offered.length > 0 && !selectPortForwardProtocol(offered)) {
      throw new AgentError(
        403,
        `requested protocol(s) are not supported: [${offered.join(" ")}]; supports [${["", ...portForwardChannelProtocols].join(" ")}]`,
      );
    }
    this.portForwardSockets.handleUpgrade(request, socket, head, (ws) => {
      const forward = new ChannelPortForward(ws, ports, target, options);
      track(forward, forward.done);
    });
  }

  /**
   * Switches to SPDY/3.1 (what kubectl ≤ 1.29 asks for) and waits for the
   * client's streams; null when it never opened them.
   */
  private async acceptSpdy(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    options: StreamOptions,
  ): Promise<SpdyCommandSession | null> {
    const offered = request.headers["x-stream-protocol-version"];
    const version = negotiateStreamProtocol(offered, spdyStreamProtocols);
    if (!version) {
      throw new AgentError(
        403,
        `unable to upgrade: unable to negotiate protocol: client supports [${[offered ?? []].flat().join(" ")}], server accepts [${spdyStreamProtocols.join(" ")}]`,
      );
    }
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${spdyProtocol}\r\nX-Stream-Protocol-Version: ${version}\r\n\r\n`,
    );
    const connection = new SpdyConnection(socket, head);
    try {
      return await SpdyCommandSession.accept(connection, options);
    } catch (error) {
      this.options.log.warn("SPDY stream setup failed", { error });
      connection.destroy();
      return null;
    }
  }
}

/** The stream protocols served over SPDY (kubectl ≤ 1.29 offers v4 first). */
const spdyStreamProtocols = [streamProtocols.v4];

/**
 * The SPDY stream protocol of a port-forward (upstream's httpstream.Handshake
 * against portforward.k8s.io): 400 when the client names none, 403 when none
 * of its is served.
 */
function negotiatePortForward(offered: string | string[] | undefined): string {
  const client = [offered ?? []]
    .flat()
    .flatMap((value) => value.split(","))
    .map((value) => value.trim())
    .filter(Boolean);
  if (client.length === 0) {
    throw new AgentError(400, "unable to upgrade: X-Stream-Protocol-Version is required");
  }
  const version = negotiateStreamProtocol(client, [portForwardProtocol]);
  if (!version) {
    throw new AgentError(
      403,
      `unable to upgrade: unable to negotiate protocol: client supports [${client.join(" ")}], server accepts [${portForwardProtocol}]`,
    );
  }
  return version;
}

/** Answers an upgrade request with an error: a metav1.Status, which client-go shows. */
function rejectUpgrade(socket: Duplex, code: number, message: string): void {
  const reasons: Record<number, string> = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    500: "InternalError",
  };
  const body = JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: reasons[code] ?? "",
    code,
  });
  const text = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found" }[
    code as 400
  ];
  socket.end(
    `HTTP/1.1 ${code} ${text ?? "Internal Server Error"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Whether an instance has ended (its exited promise settled), without waiting for it. */
async function hasEnded(handle: ContainerHandle): Promise<boolean> {
  const pending = Symbol("pending");
  const settled = await Promise.race([
    handle.exited.then(
      () => true,
      () => true,
    ),
    new Promise<typeof pending>((resolve) => setTimeout(() => resolve(pending), 0)),
  ]);
  return settled === true;
}

function booleanFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === "true" || value === "1";
}

function integer(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === "") return undefined;
  if (!/^-?\d+$/.test(value))
    throw new AgentError(400, `${name}: invalid value ${JSON.stringify(value)}`);
  return Number(value);
}

/** The log options of a request (what the API server forwards of PodLogOptions). */
export function logOptions(query: URLSearchParams, now = Date.now()): LogOptions {
  const tailLines = integer(query, "tailLines");
  const limitBytes = integer(query, "limitBytes");
  const sinceSeconds = integer(query, "sinceSeconds");
  const sinceTime = query.get("sinceTime");
  if (tailLines !== undefined && tailLines < 0) {
    throw new AgentError(400, "tailLines: must be greater than or equal to 0");
  }
  if (limitBytes !== undefined && limitBytes < 1) {
    throw new AgentError(400, "limitBytes: must be greater than 0");
  }
  if (sinceSeconds !== undefined && sinceSeconds < 1) {
    throw new AgentError(400, "sinceSeconds: must be greater than 0");
  }
  let since: number | undefined;
  if (sinceTime) {
    since = Date.parse(sinceTime);
    if (!Number.isFinite(since)) {
      throw new AgentError(400, `sinceTime: invalid time ${JSON.stringify(sinceTime)}`);
    }
  } else if (sinceSeconds !== undefined) {
    since = now - sinceSeconds * 1000;
  }
  const streamParam = query.get("stream");
  let stream: LogStream | undefined;
  if (streamParam === "Stdout") stream = "stdout";
  else if (streamParam === "Stderr") stream = "stderr";
  else if (streamParam && streamParam !== "All") {
    throw new AgentError(400, `stream: Unsupported value: "${streamParam}"`);
  }
  return {
    follow: booleanFlag(query, "follow"),
    tailLines,
    since,
    timestamps: booleanFlag(query, "timestamps"),
    limitBytes,
    stream,
  };
}

/**
 * The instance whose log a request reads, as the kubelet's
 * validateContainerLogStatus chooses it: `previous` asks for the last
 * terminated one; else the current instance, else (restart back-off) the last
 * terminated one; a container that never started has no logs yet.
 */
export function logInstance(
  pod: LocatedPod,
  container: LocatedContainer,
  previous: boolean,
): ContainerInstance {
  const name = container.name;
  if (previous) {
    if (!container.previous) {
      throw new AgentError(
        400,
        `previous terminated container "${name}" in pod "${pod.name}" not found`,
      );
    }
    return container.previous;
  }
  if (container.current) return container.current;
  if (container.previous) return container.previous;
  if (container.waitingReason) {
    throw new AgentError(
      400,
      `container "${name}" in pod "${pod.name}" is waiting to start: ${container.waitingReason}`,
    );
  }
  throw new AgentError(
    400,
    `container "${name}" in pod "${pod.name}" is waiting to start - no logs yet`,
  );
}

export { AgentError };
