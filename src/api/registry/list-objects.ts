import type { KubeObject } from "../../resources/kind.ts";
import { badRequest, expired, StatusError, timeout } from "../errors/status-error.ts";
import { statusFromStoreError } from "../errors/store-errors.ts";
import { decodeObject, resourcePrefix } from "./object-codec.ts";
import type { ResourceRegistry } from "./resource-registry.ts";
import type { ObjectPredicate } from "./selection.ts";

export interface ListOptions {
  predicate: ObjectPredicate | null;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  /** With `shared`, the watch cache's own objects: encode them, never change them. */
  items: KubeObject[];
  shared?: boolean;
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

const tokenVersion = "meta.k8s.io/v1";
/** Store rows fetched per page while filtering a limited list. */
const storePage = 500;
/** How long a list waits for a resourceVersion newer than the cache (upstream: 3 s). */
const freshnessWaitMs = 3000;

/**
 * Lists objects with upstream's resourceVersion rules: unset is a consistent read
 * (the cache first catches up with the database), "0" takes the cache as it is,
 * an exact version reads that snapshot from the store; `limit`/`continue` page
 * through one snapshot of the store.
 */
export async function listObjects(
  registry: ResourceRegistry,
  namespace: string,
  options: ListOptions,
): Promise<ListResult> {
  const prefix = resourcePrefix(registry.kind, namespace);
  const rv = options.resourceVersion ?? "";
  const match = options.resourceVersionMatch ?? "";
  if (match && !["Exact", "NotOlderThan"].includes(match)) {
    throw badRequest(
      `resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`,
    );
  }
  if (match && rv === "") {
    throw badRequest(`resourceVersionMatch is forbidden unless resourceVersion is provided`);
  }
  const requested = parseVersion(rv);
  if (options.continue) {
    if (rv !== "" && rv !== "0")
      throw badRequest("specifying resource version is not allowed when using continue");
    const token = decodeContinue(options.continue);
    return page(registry, prefix, options, token.rv, token.start);
  }
  if (
    match === "Exact" ||
    (options.limit && options.limit > 0 && rv !== "0" && match !== "NotOlderThan")
  ) {
    // Paged or exact lists read a store snapshot; limit with "0" is served whole from cache, like upstream.
    return page(registry, prefix, options, match === "Exact" ? requested : undefined, "");
  }
  if (rv === "") await registry.cache.waitFresh();
  else {
    await registry.cache.start();
    if (requested > 0) await waitForCache(registry, requested);
  }
  const { objects, revision } = registry.cache.list();
  const items: KubeObject[] = [];
  for (const object of objects) {
    if (namespace && object.metadata?.namespace !== namespace) continue;
    if (!options.predicate || options.predicate(object)) items.push(object);
  }
  return { items, resourceVersion: String(revision), shared: true };
}

async function waitForCache(registry: ResourceRegistry, revision: number): Promise<void> {
  const deadline = Date.now() + freshnessWaitMs;
  while (registry.cache.list().revision < revision) {
    if (Date.now() > deadline) {
      throw timeout(`Too large resource version: ${revision}, current: ${registry.cache.revision}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function page(
  registry: ResourceRegistry,
  prefix: string,
  options: ListOptions,
  revision: number | undefined,
  start: string,
): Promise<ListResult> {
  const limit = options.limit && options.limit > 0 ? options.limit : Number.POSITIVE_INFINITY;
  const items: KubeObject[] = [];
  let after = start;
  let snapshot = revision;
  try {
    for (;;) {
      const remaining = limit - items.length;
      // Filtering may drop rows, so fetch whole pages then; otherwise just what is missing.
      const fetch =
        options.predicate || !Number.isFinite(remaining)
          ? storePage
          : Math.min(storePage, remaining);
      const result = await registry.storeList(prefix, {
        limit: fetch,
        startAfter: after,
        ...(snapshot !== undefined ? { revision: snapshot } : {}),
      });
      snapshot = result.revision;
      let stoppedEarly = false;
      for (let i = 0; i < result.items.length; i++) {
        const kv = result.items[i] as (typeof result.items)[number];
        after = kv.key;
        const object = decodeObject(kv.value, kv.revision);
        if (options.predicate && !options.predicate(object)) continue;
        items.push(object);
        if (items.length >= limit) {
          stoppedEarly = i < result.items.length - 1;
          break;
        }
      }
      const more = stoppedEarly || result.more;
      if (items.length >= limit || !more) {
        const resourceVersion = String(snapshot);
        if (!more) return { items, resourceVersion };
        return {
          items,
          resourceVersion,
          continue: encodeContinue({ v: tokenVersion, rv: snapshot, start: after }),
        };
      }
    }
  } catch (error) {
    const status = statusFromStoreError(error, registry.subject());
    if (status instanceof StatusError && status.code === 410 && start) {
      throw expired(
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
      );
    }
    throw status;
  }
}

function parseVersion(rv: string): number {
  if (rv === "") return 0;
  if (!/^\d+$/.test(rv))
    throw badRequest(`resourceVersion: Invalid value: "${rv}": must be a number`);
  return Number(rv);
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

function decodeContinue(value: string): ContinueToken {
  try {
    const token = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as ContinueToken;
    if (
      token.v !== tokenVersion ||
      typeof token.rv !== "number" ||
      typeof token.start !== "string"
    ) {
      throw new Error("unexpected token");
    }
    return token;
  } catch {
    throw badRequest(`continue key is not valid: ${value}`);
  }
}
