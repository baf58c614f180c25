import type { TLSSocket } from "node:tls";
import type { HttpBindings } from "@hono/node-server";
import { Hono } from "hono";
import type { AuditLog } from "../../auth/audit-log.ts";
import { anonymous } from "../../auth/authenticator.ts";
import { type RequestAttributes, requestAttributes } from "../../auth/request-attributes.ts";
import type { Identity, RequestSecurity } from "../../auth/request-security.ts";
import type { UserInfo } from "../../auth/types.ts";
import type { Logger } from "../../log/logger.ts";
import type { KindRegistry } from "../../resources/kind-registry.ts";
import { gitVersion, kubernetesVersion, kubunVersion } from "../../version.ts";
import { StatusError } from "../errors/status-error.ts";
import type { ResourceHandler } from "../handlers/resource-handler.ts";
import type { ResourcePath } from "../handlers/resource-path.ts";
import { parseResourcePath } from "../handlers/resource-path.ts";
import { jsonResponse, statusResponse } from "../handlers/response.ts";

/** Serves discovery and OpenAPI documents; null when the path is not one of them. */
export interface DocumentProvider {
  serve(request: Request, pathname: string): Response | null;
}

export interface ApiAppOptions {
  kinds: KindRegistry;
  resources: ResourceHandler;
  documents: DocumentProvider;
  log: Logger;
  /** Resolves once the server may serve resources (bootstrap done). */
  ready: () => boolean;
  security: RequestSecurity;
  audit?: AuditLog | undefined;
}

type Env = {
  Bindings: HttpBindings;
  Variables: { user: UserInfo; target: ResourcePath | null };
};

/** Paths anyone may read, even before the default RBAC policy exists (probes, the kubectl dispatcher). */
const publicPaths = new Set(["/version", "/healthz", "/livez", "/readyz"]);

function isPublicPath(pathname: string): boolean {
  return (
    publicPaths.has(pathname) ||
    pathname.startsWith("/healthz/") ||
    pathname.startsWith("/livez/") ||
    pathname.startsWith("/readyz/")
  );
}

function requestUri(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

/** The authorization attributes of a request whose URL resolved (or not) to a resource. */
export function attributesOf(
  user: UserInfo,
  method: string,
  url: URL,
  target: ResourcePath | null,
): RequestAttributes {
  if (!target) return requestAttributes(user, method, url.pathname, url.searchParams, null);
  const { group, version, subresource, name } = target;
  const resource = target.kind.resource;
  // As upstream's RequestInfo: a namespace object is authorized within itself.
  const namespace = group === "" && resource === "namespaces" ? name : target.namespace;
  return requestAttributes(user, method, url.pathname, url.searchParams, {
    group,
    version,
    resource,
    subresource,
    namespace,
    name,
  });
}

const notFoundStatus = {
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message: "the server could not find the requested resource",
  reason: "NotFound",
  details: {},
  code: 404,
};

/** The version document; `gitVersion` makes the kubectl dispatcher pick a matching kubectl. */
export function versionInfo() {
  return {
    major: kubernetesVersion.major,
    minor: kubernetesVersion.minor,
    gitVersion,
    gitCommit: "",
    gitTreeState: "clean",
    buildDate: "",
    goVersion: `bun${Bun.version}`,
    compiler: "kubun",
    platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`,
    kubunVersion,
  };
}

/**
 * The Hono app of the API server. Routing is two-level on purpose: a few fixed
 * paths (version, health, discovery, OpenAPI), then one catch-all that resolves
 * `/api/...` and `/apis/...` against the kind registry (hot path: no per-route
 * middleware composition, one lookup).
 */
export function createApiApp(options: ApiAppOptions): Hono<Env> {
  const app = new Hono<Env>();

  app.use("*", async (c, next) => {
    const received = new Date();
    const socket = c.env?.incoming?.socket as TLSSocket | undefined;
    const request = c.req.raw;
    const target = parseResourcePath(c.req.path, options.kinds);
    const url = new URL(request.url);
    // Until authentication succeeds, the request is recorded as anonymous.
    let identity: Identity = { requester: anonymous, user: anonymous };
    let attributes = attributesOf(anonymous, request.method, url, target);
    try {
      identity = await options.security.identify(socket, request.headers);
      attributes = attributesOf(identity.user, request.method, url, target);
      c.set("user", identity.user);
      c.set("target", target);
      if (!isPublicPath(c.req.path)) options.security.authorize(attributes);
      await next();
    } catch (error) {
      if (error instanceof StatusError) audit(error.code);
      throw error;
    }
    audit(c.res.status);

    function audit(code: number) {
      options.audit?.record({
        attributes,
        requester: identity.requester,
        requestUri: requestUri(request.url),
        sourceIp: socket?.remoteAddress ?? "",
        userAgent: request.headers.get("user-agent") ?? "",
        code,
        received,
      });
    }
  });

  app.get("/version", (c) => c.json(versionInfo()));
  for (const path of ["/healthz", "/livez", "/readyz"]) {
    app.get(path, (c) => (options.ready() ? c.text("ok") : c.text("not ready", 503)));
  }

  app.all("*", async (c) => {
    const request = c.req.raw;
    const pathname = c.req.path;
    if (request.method === "GET") {
      const document = options.documents.serve(request, pathname);
      if (document) return document;
    }
    const path = c.get("target");
    if (!path) return jsonResponse(notFoundStatus, 404);
    return options.resources.handle(request, path, c.get("user"));
  });

  app.onError((error, c) => {
    if (error instanceof StatusError) return statusResponse(error);
    options.log.error("request failed", { method: c.req.method, path: c.req.path, error });
    return statusResponse(
      new StatusError({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`,
        reason: "InternalError",
        code: 500,
      }),
    );
  });
  return app;
}
