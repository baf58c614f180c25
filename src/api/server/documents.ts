import type { KindDefinition } from "../../resources/kind.ts";
import { contentTypeFor } from "../discovery/content-type-for.ts";
import { buildDiscovery } from "../discovery/discovery-documents.ts";
import type { DocumentProvider } from "./api-app.ts";

function json(body: unknown, contentType = "application/json"): Response {
  return new Response(JSON.stringify(body), { headers: { "content-type": contentType } });
}

/** Discovery (legacy and aggregated) and OpenAPI documents for the served kinds. */
export function documentProvider(kinds: readonly KindDefinition[]): DocumentProvider {
  const discovery = buildDiscovery(kinds);
  return {
    serve(request, pathname) {
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
