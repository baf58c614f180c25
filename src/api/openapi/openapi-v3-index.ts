/**
 * The OpenAPI v3 discovery index served at /openapi/v3: one entry per
 * document, each pointing at `/openapi/v3/<path>?hash=<HASH>`.
 *
 * The hash is a digest of the document's JSON, so it changes exactly when the
 * document does. Clients cache documents by URL (kubectl keeps them in its
 * discovery cache), and upstream serves a request whose hash matches with
 * `Cache-Control: immutable` and redirects a stale hash to the current one;
 * the HTTP layer can do the same with `openApiV3Body`.
 */
import type { KindDefinition } from "../../resources/kind.ts";
import { sha256 } from "../discovery/sha256.ts";
import { buildOpenApiV3, openApiV3Paths } from "./openapi-v3.ts";

export interface OpenApiV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

export interface OpenApiV3Body {
  /** The document as served (application/json). */
  json: string;
  /** Upper-case hex digest of `json`, as in the index URLs. */
  hash: string;
}

const indexes = new WeakMap<readonly KindDefinition[], OpenApiV3Index>();
const bodies = new WeakMap<readonly KindDefinition[], Map<string, OpenApiV3Body>>();

/** The /openapi/v3 index of `kinds`, cached per kind list. */
export function buildOpenApiV3Index(kinds: readonly KindDefinition[]): OpenApiV3Index {
  const cached = indexes.get(kinds);
  if (cached) return cached;
  const paths: OpenApiV3Index["paths"] = {};
  for (const path of openApiV3Paths(kinds)) {
    const body = openApiV3Body(kinds, path) as OpenApiV3Body;
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${body.hash}` };
  }
  const index = { paths };
  indexes.set(kinds, index);
  return index;
}

/**
 * The serialised document at `path` and its hash, or undefined when `kinds`
 * serve no such document. Serialised once, so serving a multi-megabyte
 * document costs no JSON encoding per request.
 */
export function openApiV3Body(
  kinds: readonly KindDefinition[],
  path: string,
): OpenApiV3Body | undefined {
  let byPath = bodies.get(kinds);
  if (!byPath) {
    byPath = new Map();
    bodies.set(kinds, byPath);
  }
  const cached = byPath.get(path);
  if (cached) return cached;
  const document = buildOpenApiV3(kinds, path);
  if (!document) return undefined;
  const json = JSON.stringify(document);
  const hash = [...sha256(json)]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
  const body = { json, hash };
  byPath.set(path, body);
  return body;
}
