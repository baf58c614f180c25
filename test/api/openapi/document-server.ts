/**
 * A loopback HTTP server that serves only what the discovery and OpenAPI
 * builders produce (plus /version and a few canned objects), so the real
 * kubectl can be pointed at the documents without the rest of the API.
 */
import { contentTypeFor } from "../../../src/api/discovery/content-type-for.ts";
import { buildDiscovery } from "../../../src/api/discovery/discovery-documents.ts";
import { buildOpenApiV2 } from "../../../src/api/openapi/openapi-v2.ts";
import {
  encodeOpenApiV2Protobuf,
  openApiV2ProtobufContentType,
} from "../../../src/api/openapi/openapi-v2-protobuf.ts";
import { buildOpenApiV3Index, openApiV3Body } from "../../../src/api/openapi/openapi-v3-index.ts";
import type { KindDefinition } from "../../../src/resources/kind.ts";

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  accept: string;
  contentType: string;
  body: string;
}

export interface DocumentServer {
  url: string;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 (a free port). `objects` maps a resource
 * path (/apis/apps/v1/namespaces/default/deployments/web) to the object a GET
 * returns; a PATCH of that path answers with the same object.
 */
export function startDocumentServer(
  kinds: readonly KindDefinition[],
  objects: Record<string, unknown> = {},
): DocumentServer {
  const requests: RecordedRequest[] = [];
  const discovery = buildDiscovery(kinds);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const accept = request.headers.get("accept") ?? "";
      requests.push({
        method: request.method,
        url: url.pathname + url.search,
        accept,
        contentType: request.headers.get("content-type") ?? "",
        body: await request.text(),
      });
      const path = url.pathname.replace(/\/$/, "");
      const json = (value: unknown, contentType = "application/json") =>
        new Response(JSON.stringify(value), { headers: { "content-type": contentType } });

      if (path === "/version") {
        return json({ major: "1", minor: "33", gitVersion: "v1.33.0", platform: "linux/amd64" });
      }
      if (path === "/api" || path === "/apis") {
        const format = contentTypeFor(accept);
        const root = path === "/api" ? "api" : "apis";
        if (format.format === "aggregated") {
          return json(discovery.aggregated(root, format.version), format.contentType);
        }
        return json(root === "api" ? discovery.versions : discovery.groups);
      }
      const groupVersion = /^\/(?:api\/(v[^/]+)|apis\/([^/]+)(?:\/([^/]+))?)$/.exec(path);
      if (groupVersion) {
        const [, coreVersion, group, version] = groupVersion;
        const document = coreVersion
          ? discovery.groupVersion("", coreVersion)
          : version
            ? discovery.groupVersion(group as string, version)
            : discovery.group(group as string);
        if (document) return json(document);
      }
      if (path === "/openapi/v2") {
        const document = buildOpenApiV2(kinds);
        if (accept.includes("protobuf")) {
          return new Response(encodeOpenApiV2Protobuf(document), {
            headers: { "content-type": openApiV2ProtobufContentType },
          });
        }
        return json(document);
      }
      if (path === "/openapi/v3") return json(buildOpenApiV3Index(kinds));
      if (path.startsWith("/openapi/v3/")) {
        const body = openApiV3Body(kinds, path.slice("/openapi/v3/".length));
        if (body)
          return new Response(body.json, { headers: { "content-type": "application/json" } });
      }
      const object = objects[path];
      if (object && (request.method === "GET" || request.method === "PATCH")) return json(object);
      return new Response(
        JSON.stringify({
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: `the server could not find the requested resource (${request.method} ${path})`,
          reason: "NotFound",
          details: {},
          code: 404,
        }),
        { status: 404, headers: { "content-type": "application/json" } },
      );
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    stop: () => server.stop(true),
  };
}
