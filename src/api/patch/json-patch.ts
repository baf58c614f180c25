/**
 * RFC 6902 JSON Patch (`application/json-patch+json`) with the semantics of
 * the library kube-apiserver applies it with (evanphx/json-patch v4), because
 * clients that work against Kubernetes depend on its leniencies:
 * - `replace` of a missing object member adds it (upstream never checks the
 *   member exists; `kubectl patch --type json` users rely on it for labels).
 * - negative array indexes count from the end (`/items/-1` is the last).
 * - an `add` without `value` adds null; `test` treats a missing member as null.
 * - `add`, `remove`, `move` and `copy` on the whole document (path "") fail;
 *   `replace` and `test` of "" work on the whole document.
 * Two deliberate differences: a pointer must start with "/" (upstream reads
 * "a/b" as "/b"), and `copy` from a missing member fails instead of copying
 * null.
 *
 * Status codes, as kube-apiserver answers: a document that is not an array of
 * operation objects is 400 BadRequest; more than MAX_JSON_PATCH_OPERATIONS is
 * 413; any operation that fails to apply (missing path, index out of range,
 * failed `test`, unknown op, copy limit) is 422 Invalid.
 */
import {
  cloneJson,
  hasMember,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  jsonEqual,
  setMember,
} from "./json-value.ts";
import { badRequest, goJsonKind, invalid, PatchError } from "./patch-error.ts";

/** One decoded operation; members are checked when it is applied, as upstream does. */
export type JsonPatchOperation = Readonly<JsonObject>;

/** kube-apiserver's `maxJSONPatchOperations`: bounds the work one request can ask for. */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

/**
 * kube-apiserver's default `JSONPatchMaxCopyBytes`: twice etcd's 1.5 MB
 * request limit. Without a bound, each `copy` can double the document and a
 * short patch explodes it.
 */
export const DEFAULT_MAX_COPY_BYTES = 3 * 1024 * 1024;

export interface JsonPatchOptions {
  /** Bound on the bytes all `copy` operations may add; 0 disables it. */
  maxCopyBytes?: number;
}

/**
 * Checks the shape of a parsed patch document: an array of operation objects
 * (null decodes as no operations, as upstream's decoder reads it).
 */
export function decodeJsonPatch(patch: unknown): JsonPatchOperation[] {
  if (patch === null) return [];
  if (!Array.isArray(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${goJsonKind(patch)} into Go value of type jsonpatch.Patch`,
    );
  }
  for (const operation of patch) {
    if (operation !== null && !isJsonObject(operation)) {
      throw badRequest(
        `json: cannot unmarshal ${goJsonKind(operation)} into Go value of type jsonpatch.Operation`,
      );
    }
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(
      "RequestEntityTooLarge",
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`,
    );
  }
  return patch.map((operation) => (operation ?? {}) as JsonPatchOperation);
}

/** Applies a parsed JSON patch document to a document, returning the new document. */
export function applyJsonPatch(
  document: JsonValue,
  patch: unknown,
  options: JsonPatchOptions = {},
): JsonValue {
  const operations = decodeJsonPatch(patch);
  if (document === null || typeof document !== "object") {
    throw invalid(
      `json: cannot unmarshal ${goJsonKind(document)} into Go value of type jsonpatch.partialDoc`,
    );
  }
  const state: PatchState = {
    root: cloneJson(document),
    copiedBytes: 0,
    maxCopyBytes: options.maxCopyBytes ?? DEFAULT_MAX_COPY_BYTES,
  };
  for (const operation of operations) {
    const op = typeof operation.op === "string" ? operation.op : "unknown";
    // Own members only: "toString" or "constructor" must not find Object's methods.
    const apply = Object.hasOwn(OPERATIONS, op) ? OPERATIONS[op] : undefined;
    if (!apply) throw invalid(`Unexpected kind: ${op}`);
    apply(state, operation);
  }
  return state.root;
}

type Container = JsonObject | JsonValue[];

interface PatchState {
  root: Container;
  copiedBytes: number;
  maxCopyBytes: number;
}

/** Where a pointer leads: the container that holds (or will hold) the member named `key`. */
interface Location {
  parent: Container;
  key: string;
}

const OPERATIONS: Record<string, (state: PatchState, operation: JsonPatchOperation) => void> = {
  add(state, operation) {
    const path = pointerOf(operation, "path", "add");
    const at = locate(state.root, path);
    if (!at)
      throw invalid(`add operation does not apply: doc is missing path: "${path}": missing value`);
    const error = insert(at, operationValue(operation));
    if (error) throw invalid(`error in add for path: '${path}': ${error}`);
  },

  remove(state, operation) {
    const path = pointerOf(operation, "path", "remove");
    const at = locate(state.root, path);
    if (!at) {
      throw invalid(
        `remove operation does not apply: doc is missing path: "${path}": missing value`,
      );
    }
    const error = erase(at);
    if (error) throw invalid(`error in remove for path: '${path}': ${error}`);
  },

  replace(state, operation) {
    const path = pointerOf(operation, "path", "replace");
    const value = operationValue(operation);
    if (path === "") {
      if (value === null || typeof value !== "object") {
        throw invalid("replace operation value must be object or array");
      }
      state.root = value;
      return;
    }
    const at = locate(state.root, path);
    if (!at)
      throw invalid(
        `replace operation does not apply: doc is missing path: ${path}: missing value`,
      );
    if (Array.isArray(at.parent)) {
      const index = existingIndex(at.parent, at.key);
      if (typeof index === "string") {
        throw invalid(
          `replace operation does not apply: doc is missing key: ${path}: missing value`,
        );
      }
      at.parent[index] = value;
    } else {
      setMember(at.parent, at.key, value);
    }
  },

  move(state, operation) {
    const from = pointerOf(operation, "from", "move");
    const source = locate(state.root, from);
    if (!source) {
      throw invalid(
        `move operation does not apply: doc is missing from path: ${from}: missing value`,
      );
    }
    const value = read(source);
    if (typeof value === "string")
      throw invalid(`error in move for path: '${source.key}': ${value}`);
    const removeError = erase(source);
    if (removeError) throw invalid(`error in move for path: '${source.key}': ${removeError}`);
    const path = pointerOf(operation, "path", "move");
    const target = locate(state.root, path);
    if (!target) {
      throw invalid(
        `move operation does not apply: doc is missing destination path: ${path}: missing value`,
      );
    }
    const insertError = insert(target, value.found);
    if (insertError) throw invalid(`error in move for path: '${path}': ${insertError}`);
  },

  copy(state, operation) {
    const from = pointerOf(operation, "from", "copy");
    const source = locate(state.root, from);
    const value = source ? read(source) : undefined;
    if (typeof value === "string") throw invalid(`error in copy for from: '${from}': ${value}`);
    if (value?.found === undefined) {
      throw invalid(
        `copy operation does not apply: doc is missing from path: ${from}: missing value`,
      );
    }
    const path = pointerOf(operation, "path", "copy");
    const target = locate(state.root, path);
    if (!target) {
      throw invalid(
        `copy operation does not apply: doc is missing destination path: ${path}: missing value`,
      );
    }
    state.copiedBytes += new TextEncoder().encode(JSON.stringify(value.found)).length;
    if (state.maxCopyBytes > 0 && state.copiedBytes > state.maxCopyBytes) {
      throw invalid(
        `Unable to complete the copy, the accumulated size increase of copy is ${state.copiedBytes}, exceeding the limit ${state.maxCopyBytes}`,
      );
    }
    const error = insert(target, cloneJson(value.found));
    if (error) throw invalid(`error while adding value during copy: ${error}`);
  },

  test(state, operation) {
    const path = pointerOf(operation, "path", "test");
    const hasValue = hasMember(operation, "value");
    const expected = (operation.value ?? null) as JsonValue;
    let actual: JsonValue | undefined;
    if (path === "") {
      actual = state.root;
    } else {
      const at = locate(state.root, path);
      if (!at)
        throw invalid(`test operation does not apply: is missing path: ${path}: missing value`);
      const found = read(at);
      if (typeof found === "string") throw invalid(`error in test for path: '${path}': ${found}`);
      actual = found?.found;
    }
    // Upstream decodes null members as absent, so null and missing compare equal.
    const passes =
      actual === undefined || actual === null
        ? expected === null
        : hasValue && jsonEqual(actual, expected);
    if (!passes) throw invalid(`testing value ${path} failed: test failed`);
  },
};

function pointerOf(operation: JsonPatchOperation, member: "path" | "from", op: string): string {
  const pointer = operation[member];
  if (typeof pointer === "string") return pointer;
  throw invalid(
    member === "path"
      ? `${op} operation failed to decode path: operation missing path field: missing value`
      : `${op} operation failed to decode from: operation, missing from field: missing value`,
  );
}

function operationValue(operation: JsonPatchOperation): JsonValue {
  return cloneJson((operation.value ?? null) as JsonValue);
}

/** RFC 6901: "~1" is "/", then "~0" is "~" (in that order, so "~01" stays "~1"). */
function unescapeToken(token: string): string {
  return token.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** Walks all but the last token; undefined when a step is missing or not a container. */
function locate(root: Container, pointer: string): Location | undefined {
  if (!pointer.startsWith("/")) return undefined;
  const tokens = pointer.slice(1).split("/").map(unescapeToken);
  const key = tokens.pop() as string;
  let node: Container = root;
  for (const token of tokens) {
    let next: JsonValue | undefined;
    if (Array.isArray(node)) {
      const index = existingIndex(node, token);
      next = typeof index === "number" ? node[index] : undefined;
    } else {
      next = hasMember(node, token) ? node[token] : undefined;
    }
    if (next === undefined || next === null || typeof next !== "object") return undefined;
    node = next;
  }
  return { parent: node, key };
}

/** Go's strconv.Atoi, whose messages upstream passes through. */
function parseIndex(token: string): number | string {
  if (!/^[+-]?\d+$/.test(token)) return `strconv.Atoi: parsing "${token}": invalid syntax`;
  return Number(token);
}

/** Index of an existing element (negative counts from the end), or the error text. */
function existingIndex(list: JsonValue[], token: string): number | string {
  const index = parseIndex(token);
  if (typeof index === "string") return index;
  if (index >= list.length || index < -list.length) return invalidIndex(index);
  return index < 0 ? index + list.length : index;
}

function invalidIndex(index: number): string {
  return `Unable to access invalid index: ${index}: invalid index referenced`;
}

interface Found {
  found: JsonValue | undefined;
}

/** The member's value (`found` undefined for a missing object member), or the error text. */
function read(at: Location): Found | string {
  if (Array.isArray(at.parent)) {
    const index = existingIndex(at.parent, at.key);
    return typeof index === "string" ? index : { found: at.parent[index] };
  }
  return { found: hasMember(at.parent, at.key) ? at.parent[at.key] : undefined };
}

/** Adds or inserts; returns the error text when the index is unusable. */
function insert(at: Location, value: JsonValue | undefined): string | undefined {
  const item = value ?? null;
  if (!Array.isArray(at.parent)) {
    setMember(at.parent, at.key, item);
    return undefined;
  }
  if (at.key === "-") {
    at.parent.push(item);
    return undefined;
  }
  const index = parseIndex(at.key);
  if (typeof index === "string") return `value was not a proper array index: '${at.key}': ${index}`;
  // Inserting may target one past the end; negative indexes count from that new end.
  const size = at.parent.length + 1;
  if (index >= size || index < -size) return invalidIndex(index);
  at.parent.splice(index < 0 ? index + size : index, 0, item);
  return undefined;
}

function erase(at: Location): string | undefined {
  if (!Array.isArray(at.parent)) {
    if (!hasMember(at.parent, at.key)) {
      return `Unable to remove nonexistent key: ${at.key}: missing value`;
    }
    delete at.parent[at.key];
    return undefined;
  }
  const index = existingIndex(at.parent, at.key);
  if (typeof index === "string") return index;
  at.parent.splice(index, 1);
  return undefined;
}
