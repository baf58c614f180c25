/**
 * Content negotiation for /api and /apis. client-go asks
 *   application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,
 *   application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,
 *   application/json
 * and decides how to decode the body from the Content-Type of the answer
 * alone (matching g, v and as), so the Content-Type must name exactly the
 * document sent.
 */
import type { AggregatedDiscoveryVersion } from "./discovery-types.ts";

export type DiscoveryFormat =
  | { format: "aggregated"; version: AggregatedDiscoveryVersion; contentType: string }
  | { format: "legacy"; contentType: "application/json" };

const aggregatedGroup = "apidiscovery.k8s.io";
const aggregatedKind = "APIGroupDiscoveryList";

const legacy: DiscoveryFormat = { format: "legacy", contentType: "application/json" };

/**
 * The discovery document to answer an Accept header with: the first
 * acceptable media range in the client's preference order (q, then position)
 * that kubun serves. Aggregated discovery is served as JSON only; a client
 * that accepts nothing kubun serves (or sends no Accept) gets legacy JSON,
 * which every client understands.
 */
export function contentTypeFor(accept: string | null | undefined): DiscoveryFormat {
  if (!accept) return legacy;
  const ranges = accept
    .split(",")
    .map((text, position) => ({ ...parseMediaRange(text), position }))
    .filter((range) => range.q > 0)
    .sort((a, b) => b.q - a.q || a.position - b.position);
  for (const range of ranges) {
    const isJson =
      range.type === "application/json" || range.type === "application/*" || range.type === "*/*";
    if (!isJson) continue;
    const { g, v, as } = range.params;
    if (g === undefined && v === undefined && as === undefined) return legacy;
    if (g === aggregatedGroup && as === aggregatedKind && (v === "v2" || v === "v2beta1")) {
      return {
        format: "aggregated",
        version: v,
        contentType: `application/json;g=${aggregatedGroup};v=${v};as=${aggregatedKind}`,
      };
    }
  }
  return legacy;
}

function parseMediaRange(text: string): {
  type: string;
  q: number;
  params: Record<string, string>;
} {
  const [type = "", ...rest] = text.split(";");
  const params: Record<string, string> = {};
  let q = 1;
  for (const part of rest) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1");
    if (name === "q") {
      const parsed = Number(value);
      q = Number.isFinite(parsed) ? parsed : 0;
    } else {
      params[name] = value;
    }
  }
  return { type: type.trim().toLowerCase(), q, params };
}
