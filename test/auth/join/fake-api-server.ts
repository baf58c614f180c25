import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import type { KubeObject } from "../../../src/resources/kind.ts";
import type { CertificateAuthority } from "../../../src/tls/certificate-authority.ts";
import { servingCertificate } from "../../../src/tls/serving-certificate.ts";

const CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
const CLUSTER_INFO = "/api/v1/namespaces/kube-public/configmaps/cluster-info";

export interface SeenRequest {
  method: string;
  path: string;
  watch: boolean;
  authorization?: string;
  /** Whether the request came with a client certificate from the CA. */
  clientCertificate: boolean;
  body?: KubeObject;
}

export interface FakeApiServerOptions {
  /** The CA whose certificate the server presents. */
  ca: CertificateAuthority;
  /** The cluster-info ConfigMap to serve (called per request); undefined gives 404. */
  clusterInfo?: (server: FakeApiServer) => KubeObject | undefined;
  /** Runs after each CSR is created (approve, deny, sign, or nothing). */
  onCsr?: (name: string, server: FakeApiServer) => void;
}

/**
 * A tiny HTTPS stand-in for the API server: cluster-info, and CSR create, get
 * and watch. Client certificates are requested but not required, so tests can
 * see which credential a request carried.
 */
export class FakeApiServer {
  readonly requests: SeenRequest[] = [];
  readonly csrs = new Map<string, KubeObject>();
  url = "";
  #server: Server | undefined;
  #version = 1;
  readonly #watchers = new Set<{ name: string; response: ServerResponse }>();

  private constructor(private readonly options: FakeApiServerOptions) {}

  static async start(options: FakeApiServerOptions): Promise<FakeApiServer> {
    const fake = new FakeApiServer(options);
    const serving = await servingCertificate.issue(
      options.ca,
      servingCertificate.sans({ ipAddresses: ["127.0.0.1"] }, "localhost"),
    );
    fake.#server = createServer(
      {
        cert: serving.certPem,
        key: serving.keyPem,
        ca: [options.ca.certPem],
        requestCert: true,
        rejectUnauthorized: false,
      },
      (request, response) => void fake.#handle(request, response),
    );
    const server = fake.#server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    fake.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  /** Changes a stored CSR and tells its watchers. */
  update(name: string, change: (csr: KubeObject) => void): void {
    const csr = this.csrs.get(name);
    if (csr === undefined) throw new Error(`no csr ${name}`);
    change(csr);
    csr.metadata = { ...csr.metadata, resourceVersion: String(++this.#version) };
    for (const watcher of this.#watchers) {
      if (watcher.name === name)
        watcher.response.write(`${JSON.stringify({ type: "MODIFIED", object: csr })}\n`);
    }
  }

  async close(): Promise<void> {
    for (const watcher of this.#watchers) watcher.response.end();
    const server = this.#server;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "https://fake");
    const seen = await this.#record(request, url);
    if (request.method === "GET" && url.pathname === CLUSTER_INFO) {
      const configMap = this.options.clusterInfo?.(this);
      return configMap ? json(response, 200, configMap) : notFound(response, "cluster-info");
    }
    if (request.method === "POST" && url.pathname === CSRS && seen.body) {
      return this.#createCsr(seen.body, response);
    }
    if (request.method === "GET" && url.pathname === CSRS && seen.watch) {
      return this.#watch(url, response);
    }
    if (request.method === "GET" && url.pathname.startsWith(`${CSRS}/`)) {
      const csr = this.csrs.get(decodeURIComponent(url.pathname.slice(CSRS.length + 1)));
      return csr ? json(response, 200, csr) : notFound(response, "csr");
    }
    notFound(response, url.pathname);
  }

  async #record(request: IncomingMessage, url: URL): Promise<SeenRequest> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const seen: SeenRequest = {
      method: request.method ?? "",
      path: url.pathname,
      watch: url.searchParams.get("watch") === "1",
      ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
      // Bun's sockets here expose `authorized` but not the peer certificate itself.
      clientCertificate: (request.socket as TLSSocket).authorized === true,
      ...(text ? { body: JSON.parse(text) as KubeObject } : {}),
    };
    this.requests.push(seen);
    return seen;
  }

  #createCsr(body: KubeObject, response: ServerResponse): void {
    const name = `${body.metadata?.generateName ?? "csr-"}${randomUUID().slice(0, 5)}`;
    const csr: KubeObject = {
      ...body,
      metadata: {
        ...body.metadata,
        name,
        uid: randomUUID(),
        resourceVersion: String(++this.#version),
      },
      status: {},
    };
    this.csrs.set(name, csr);
    json(response, 201, csr);
    this.options.onCsr?.(name, this);
  }

  #watch(url: URL, response: ServerResponse): void {
    const name = (url.searchParams.get("fieldSelector") ?? "").replace("metadata.name=", "");
    response.writeHead(200, { "content-type": "application/json" });
    response.flushHeaders();
    const watcher = { name, response };
    this.#watchers.add(watcher);
    response.on("close", () => this.#watchers.delete(watcher));
  }
}

function json(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function notFound(response: ServerResponse, what: string): void {
  json(response, 404, {
    kind: "Status",
    status: "Failure",
    reason: "NotFound",
    code: 404,
    message: `${what} not found`,
  });
}
