import type { KindDefinition } from "../../resources/kind.ts";
import { contentTypeFor } from "../discovery/content-type-for.ts";
import { buildDiscovery } from "../discovery/discovery-documents.ts";
import { buildOpenApiV2 } from "../openapi/openapi-v2.ts";
import {
  encodeOpenApiV2Protobuf,
  openApiV2ProtobufContentType,
} from "../openapi/openapi-v2-protobuf.ts";
import { buildOpenApiV3Index, openApiV3Body } from "../openapi/openapi-v3-index.ts";
import type { DocumentProvider } from "./api-app.ts";

function json(body: unknown, contentType = "application/json"): Response {
  return new Response(JSON.stringify(body), { headers: { "content-type": contentType } });
}

/** Discovery (legacy and aggregated) and OpenAPI documents for the served kinds. */
export function documentProvider(kinds: readonly KindDefinition[]): DocumentProvider {
  const discovery = buildDiscovery(kinds);
  // Built on first request and kept: the documents are large and never change while running.
  let v2: { json: string; protobuf: Uint8Array } | null = null;
  const openApiV2 = () => {
    if (!v2) {
      const document = buildOpenApiV2(kinds);
      v2 = { json: JSON.stringify(document), protobuf: encodeOpenApiV2Protobuf(document) };
    }
    return v2;
  };
  return {
    serve(request, pathname) {
      if (pathname === "/openapi/v2" || pathname === "/swagger.json") {
        const accept = request.headers.get("accept") ?? "";
        const document = openApiV2();
        if (accept.includes("protobuf")) {
          return new Response(document.protobuf, {
            headers: { "content-type": openApiV2ProtobufContentType },
          });
        }
        return new Response(document.json, { headers: { "content-type": "application/json" } });
      }
      if (pathname === "/openapi/v3") return json(buildOpenApiV3Index(kinds));
      if (pathname.startsWith("/openapi/v3/")) {
        const body = openApiV3Body(kinds, pathname.slice("/openapi/v3/".length));
        if (!body) return null;
        const hash = new URL(request.url).searchParams.get("hash");
        if (hash !== null && hash !== body.hash) {
          // A stale hash: send the client to the current document, as upstream does.
          return new Response(null, {
            status: 301,
            headers: { location: `${pathname}?hash=${body.hash}`, "cache-control": "no-cache" },
          });
        }
        return new Response(body.json, {
          headers: {
            "content-type": "application/json",
            // Addressed by its content hash: safe to cache for good; without one, revalidate.
            "cache-control": hash === null ? "no-cache" : "public, immutable",
            etag: `"${body.hash}"`,
          },
        });
      }
      const parts = pathname.split("/").filter(Boolean);
      if (parts[0] === "api" && parts.length <= 2) {
        if (parts.length === 1) {
          const format = contentTypeFor(request.headers.get("accept"));
          if (format.format === "aggregated") {
            return json(discovery.aggregated("api", format.version), format.contentType);
          }
          return json(discovery.versions);
        }
        const list = discovery.groupVersion("", parts[1] as string);
        return list ? json(list) : null;
      }
      if (parts[0] === "apis" && parts.length <= 3) {
        if (parts.length === 1) {
          const format = contentTypeFor(request.headers.get("accept"));
          if (format.format === "aggregated") {
            return json(discovery.aggregated("apis", format.version), format.contentType);
          }
          return json(discovery.groups);
        }
        if (parts.length === 2) {
          const group = discovery.group(parts[1] as string);
          return group ? json(group) : null;
        }
        const list = discovery.groupVersion(parts[1] as string, parts[2] as string);
        return list ? json(list) : null;
      }
      return null;
    },
  };
}
