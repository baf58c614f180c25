import type { TLSSocket } from "node:tls";
import type { HttpBindings } from "@hono/node-server";
import { Hono } from "hono";
import type { Logger } from "../../log/logger.ts";
import type { KindRegistry } from "../../resources/kind-registry.ts";
import { gitVersion, kubernetesVersion, kubunVersion } from "../../version.ts";
import { StatusError, unauthorized } from "../errors/status-error.ts";
import type { ResourceHandler } from "../handlers/resource-handler.ts";
import { parseResourcePath } from "../handlers/resource-path.ts";
import { jsonResponse, statusResponse } from "../handlers/response.ts";
import { anonymous, certificateUser, isPublicPath, type UserInfo } from "./authentication.ts";

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
}

type Env = { Bindings: HttpBindings; Variables: { user: UserInfo } };

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
    const socket = c.env?.incoming?.socket as TLSSocket | undefined;
    const user = socket ? certificateUser(socket) : null;
    if (!user && !isPublicPath(c.req.path)) throw unauthorized();
    c.set("user", user ?? anonymous);
    await next();
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
    const path = parseResourcePath(pathname, options.kinds);
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
