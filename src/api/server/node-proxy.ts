/**
 * The API server's connections to node agents (upstream's kubelet client):
 * where a node's agent listens, and HTTPS to it with the API server's kubelet
 * client certificate, verifying the agent's serving certificate with the
 * cluster CA. Logs are plain requests; exec, attach (and port-forward) are
 * upgrades whose bytes are spliced between client and agent, as upstream's
 * UpgradeAwareHandler does, so any stream protocol passes through.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { connect as connectTls, type TLSSocket } from "node:tls";
import type { KubeObject } from "../../resources/kind.ts";
import { StatusError } from "../errors/status-error.ts";

/** The CN (and group) upstream's API server presents to kubelets. */
export const kubeletClientUser = "kube-apiserver-kubelet-client";
/** The kubelet's default port, when a Node does not say. */
export const defaultAgentPort = 10250;

export interface AgentLocation {
  node: string;
  host: string;
  port: number;
}

export interface NodeCredentials {
  /** The cluster CA, which signed the agents' serving certificates. */
  caPem: string;
  /** The API server's client certificate for agents (CN kube-apiserver-kubelet-client). */
  certPem: string;
  keyPem: string;
}

interface NodeStatus {
  addresses?: { type?: string; address?: string }[];
  daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
}

/** A 500 as upstream answers a failed backend call: InternalError with the cause. */
export function internalError(message: string): StatusError {
  return new StatusError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `Internal error occurred: ${message}`,
    reason: "InternalError",
    details: { causes: [{ reason: "", message }] },
    code: 500,
  });
}

/**
 * Where a node's agent listens: its InternalIP (else its Hostname) from
 * status.addresses, and status.daemonEndpoints.kubeletEndpoint.Port.
 */
export function agentLocation(node: KubeObject): AgentLocation {
  const name = node.metadata?.name ?? "";
  const status = (node.status ?? {}) as NodeStatus;
  const addresses = status.addresses ?? [];
  const address =
    addresses.find((a) => a.type === "InternalIP" && a.address)?.address ??
    addresses.find((a) => a.type === "Hostname" && a.address)?.address;
  if (!address) {
    const known = addresses.map((a) => `{${a.type ?? ""} ${a.address ?? ""}}`).join(" ");
    throw internalError(
      `node "${name}": no preferred addresses found; known addresses: [${known}]`,
    );
  }
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port || defaultAgentPort;
  return { node: name, host: address, port };
}

function hostPort(location: AgentLocation): string {
  return location.host.includes(":")
    ? `[${location.host}]:${location.port}`
    : `${location.host}:${location.port}`;
}

/** Request headers that stay with the API server: credentials and hop-by-hop ones it replaces. */
const droppedHeaders = new Set([
  "authorization",
  "host",
  "cookie",
  "proxy-authorization",
  "proxy-connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
]);

/** How long an agent has to accept a connection and answer a request's head. */
const connectTimeoutMs = 30_000;

export class NodeConnector {
  constructor(private readonly credentials: NodeCredentials) {}

  /**
   * A GET to an agent, streaming its answer (until `signal` aborts, for a
   * follower that went away). Unreachable agents are 500s naming the URL.
   */
  async get(
    location: AgentLocation,
    pathAndQuery: string,
    signal?: AbortSignal,
  ): Promise<Response> {
    const url = `https://${hostPort(location)}${pathAndQuery}`;
    const connecting = new AbortController();
    const timer = setTimeout(
      () => connecting.abort(new Error(`no answer within ${connectTimeoutMs / 1000}s`)),
      connectTimeoutMs,
    );
    try {
      return await fetch(url, {
        method: "GET",
        signal: signal ? AbortSignal.any([signal, connecting.signal]) : connecting.signal,
        tls: {
          ca: this.credentials.caPem,
          cert: this.credentials.certPem,
          key: this.credentials.keyPem,
        },
      } as RequestInit);
    } catch (error) {
      const cause = connecting.signal.aborted ? connecting.signal.reason : error;
      throw internalError(`Get "${url}": ${describe(cause)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Forwards an upgrade request (already authorized) to the agent at
   * `pathAndQuery` and splices the two connections: the agent's answer, 101 or
   * an error, reaches the client as the agent wrote it. Throws (nothing sent
   * yet) when the agent cannot be reached.
   */
  async upgrade(
    location: AgentLocation,
    pathAndQuery: string,
    request: IncomingMessage,
    client: Duplex,
    head: Buffer,
  ): Promise<void> {
    const agent = await this.dial(location);
    const lines = [
      `${request.method ?? "GET"} ${pathAndQuery} HTTP/1.1`,
      `Host: ${hostPort(location)}`,
    ];
    const raw = request.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string;
      const lower = name.toLowerCase();
      if (droppedHeaders.has(lower) || lower.startsWith("impersonate-")) continue;
      lines.push(`${name}: ${raw[i + 1]}`);
    }
    agent.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length > 0) agent.write(head);
    splice(client, agent);
  }

  private dial(location: AgentLocation): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({
        host: location.host,
        port: location.port,
        ca: this.credentials.caPem,
        cert: this.credentials.certPem,
        key: this.credentials.keyPem,
        ALPNProtocols: ["http/1.1"],
        // SNI carries names, not addresses.
        ...(/^[\d.]+$|:/.test(location.host) ? {} : { servername: location.host }),
      });
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(internalError(`error dialing backend: ${describe(error)}`));
      };
      const timer = setTimeout(
        () => fail(new Error(`dial tcp ${hostPort(location)}: i/o timeout`)),
        connectTimeoutMs,
      );
      socket.once("error", fail);
      socket.once("secureConnect", () => {
        clearTimeout(timer);
        socket.off("error", fail);
        resolve(socket);
      });
    });
  }
}

/**
 * Copies bytes both ways; when one side closes, the other is ended (its
 * pending writes flushed) and destroyed shortly after if it lingers.
 */
function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const teardown = (other: Duplex) => {
    if (other.destroyed) return;
    other.end();
    setTimeout(() => other.destroy(), 5000).unref?.();
  };
  a.on("close", () => teardown(b));
  b.on("close", () => teardown(a));
  a.on("error", () => a.destroy());
  b.on("error", () => b.destroy());
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    // Bun's fetch says "ECONNREFUSED: Unable to connect. Is the computer able to access the url?".
    if ((error as NodeJS.ErrnoException).code === "ECONNREFUSED" && error.name === "TypeError") {
      return "connect: connection refused";
    }
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
