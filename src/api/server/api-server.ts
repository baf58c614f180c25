import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import {
  createServer as createTlsServer,
  type TLSSocket,
  type Server as TlsServer,
} from "node:tls";
import { getRequestListener } from "@hono/node-server";
import { WebSocketServer } from "ws";
import type { AuditLog } from "../../auth/audit-log.ts";
import type { RequestSecurity } from "../../auth/request-security.ts";
import type { Logger } from "../../log/logger.ts";
import type { KindRegistry } from "../../resources/kind-registry.ts";
import { StatusError } from "../errors/status-error.ts";
import { booleanParam, integerParam } from "../handlers/request-options.ts";
import type { ResourceHandler } from "../handlers/resource-handler.ts";
import { parseResourcePath } from "../handlers/resource-path.ts";
import { pumpWatchToSocket } from "../handlers/watch-stream.ts";
import type { ResourceRegistry } from "../registry/resource-registry.ts";
import { attributesOf, type createApiApp } from "./api-app.ts";
import { isPodUpgrade, type PodStreams, writeStatus } from "./pod-streams.ts";

export interface ApiServerOptions {
  port: number;
  host: string;
  certPem: string;
  keyPem: string;
  caPem: string;
  app: ReturnType<typeof createApiApp>;
  security: RequestSecurity;
  audit?: AuditLog | undefined;
  kinds: KindRegistry;
  resources: ResourceHandler;
  registry: (kind: import("../../resources/kind.ts").KindDefinition) => ResourceRegistry;
  log: Logger;
  /** pods/exec, pods/attach and pods/portforward, proxied to node agents over upgraded connections. */
  podStreams?: PodStreams | undefined;
}

/**
 * HTTPS with client-certificate authentication. Bun.serve cannot show a handler
 * which client certificate was presented, so TLS terminates in a node:tls
 * server whose sockets are handed to a node:http server running the Hono app;
 * WebSocket upgrades (watch over WebSocket) go to `ws`.
 */
export class ApiServer {
  private tls: TlsServer | null = null;
  private http: Server | null = null;
  private readonly sockets = new Set<TLSSocket>();
  private readonly websockets = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => {
      // base64.binary.k8s.io frames carry base64 text; plain JSON otherwise.
      for (const protocol of protocols) if (protocol === "base64.binary.k8s.io") return protocol;
      return false;
    },
  });

  constructor(private readonly options: ApiServerOptions) {}

  /** Starts listening; resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    const http = createHttpServer(getRequestListener(this.options.app.fetch));
    http.on("upgrade", (request, socket, head) => void this.upgrade(request, socket, head));
    const tls = createTlsServer(
      {
        cert: this.options.certPem,
        key: this.options.keyPem,
        ca: this.options.caPem,
        requestCert: true,
        // Clients without a certificate may connect; the app decides what they may see.
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

  /** Serves a renewed certificate to new connections; open ones keep theirs. */
  replaceServingCertificate(certPem: string, keyPem: string): void {
    this.tls?.setSecureContext({
      cert: certPem,
      key: keyPem,
      ca: this.options.caPem,
      minVersion: "TLSv1.2",
    });
  }

  async stop(): Promise<void> {
    for (const client of this.websockets.clients) client.terminate();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.tls ? this.tls.close(() => resolve()) : resolve()));
    this.http?.close();
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const reject = (code: number, message: string) => {
      socket.end(
        `HTTP/1.1 ${code} ${message}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${message}`,
      );
    };
    try {
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === "string") headers.set(name, value);
        else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
      }
      const { requester, user } = await this.options.security.identify(
        socket as TLSSocket,
        headers,
      );
      const url = new URL(request.url ?? "/", "https://localhost");
      const path = parseResourcePath(url.pathname, this.options.kinds);
      if (isPodUpgrade(path) && this.options.podStreams) {
        const attributes = attributesOf(user, request.method ?? "GET", url, path);
        this.options.security.authorize(attributes);
        // As upstream (AuthorizePodWebsocketUpgradeCreatePermission, on by default since
        // 1.35): a WebSocket upgrade is a GET, but opening a session needs create too.
        if (attributes.verb !== "create") {
          this.options.security.authorize({ ...attributes, verb: "create" });
        }
        this.options.audit?.record({
          attributes,
          requester,
          requestUri: url.pathname + url.search,
          sourceIp: (socket as TLSSocket).remoteAddress ?? "",
          userAgent: headers.get("user-agent") ?? "",
          code: 101,
          received: new Date(),
        });
        return await this.options.podStreams.upgrade(request, socket, head, path, url);
      }
      if (!path || path.name || path.subresource || !booleanParam(url.searchParams, "watch")) {
        return reject(400, "only watches are served over WebSocket");
      }
      const attributes = attributesOf(user, "GET", url, path);
      this.options.security.authorize(attributes);
      this.options.audit?.record({
        attributes,
        requester,
        requestUri: url.pathname + url.search,
        sourceIp: (socket as TLSSocket).remoteAddress ?? "",
        userAgent: headers.get("user-agent") ?? "",
        code: 101,
        received: new Date(),
      });
      const registry = this.options.registry(path.kind);
      const watch = await this.options.resources.openWatch(path, registry, url.searchParams);
      this.websockets.handleUpgrade(request, socket, head, (ws) => {
        void pumpWatchToSocket(watch, ws, {
          base64: ws.protocol === "base64.binary.k8s.io",
          allowWatchBookmarks: booleanParam(url.searchParams, "allowWatchBookmarks"),
          timeoutSeconds: integerParam(url.searchParams, "timeoutSeconds"),
          transform: this.options.resources.watchTransform(
            { headers },
            path.kind,
            url.searchParams,
          ),
        });
      });
    } catch (error) {
      if (error instanceof StatusError) return writeStatus(socket, error);
      this.options.log.error("websocket upgrade failed", { error });
      reject(500, "Internal Server Error");
    }
  }
}
