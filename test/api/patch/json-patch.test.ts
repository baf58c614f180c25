import { describe, expect, test } from "bun:test";
import {
  applyJsonPatch,
  decodeJsonPatch,
  MAX_JSON_PATCH_OPERATIONS,
} from "../../../src/api/patch/json-patch.ts";
import type { JsonValue } from "../../../src/api/patch/json-value.ts";
import type { PatchErrorReason } from "../../../src/api/patch/patch-error.ts";
import { expectPatchError } from "./expect-patch-error.ts";

interface Case {
  name: string;
  doc: JsonValue;
  patch: JsonValue;
  want: JsonValue;
}

const applies: Case[] = [
  {
    name: "add sets a new member",
    doc: { a: 1 },
    patch: [{ op: "add", path: "/b", value: { c: [1] } }],
    want: { a: 1, b: { c: [1] } },
  },
  {
    name: "add replaces an existing member",
    doc: { a: 1 },
    patch: [{ op: "add", path: "/a", value: 2 }],
    want: { a: 2 },
  },
  {
    name: "add inserts before the indexed element",
    doc: { l: [1, 3] },
    patch: [{ op: "add", path: "/l/1", value: 2 }],
    want: { l: [1, 2, 3] },
  },
  {
    name: "add at index equal to the length appends",
    doc: { l: [1, 3] },
    patch: [{ op: "add", path: "/l/2", value: 4 }],
    want: { l: [1, 3, 4] },
  },
  {
    name: "add with - appends",
    doc: { l: ["a"] },
    patch: [{ op: "add", path: "/l/-", value: "b" }],
    want: { l: ["a", "b"] },
  },
  {
    name: "add with a negative index counts from the new end",
    doc: { l: [1, 3] },
    patch: [{ op: "add", path: "/l/-2", value: 2 }],
    want: { l: [1, 2, 3] },
  },
  {
    name: "add without value adds null",
    doc: {},
    patch: [{ op: "add", path: "/a" }],
    want: { a: null },
  },
  {
    name: "remove deletes a member",
    doc: { a: 1, b: 2 },
    patch: [{ op: "remove", path: "/a" }],
    want: { b: 2 },
  },
  {
    name: "remove deletes an element; -1 is the last",
    doc: { l: [1, 2, 3] },
    patch: [
      { op: "remove", path: "/l/0" },
      { op: "remove", path: "/l/-1" },
    ],
    want: { l: [2] },
  },
  {
    name: "replace changes a member and an element",
    doc: { a: 1, l: [1, 2] },
    patch: [
      { op: "replace", path: "/a", value: "x" },
      { op: "replace", path: "/l/1", value: 9 },
    ],
    want: { a: "x", l: [1, 9] },
  },
  {
    name: "replace of a missing member adds it, as kube-apiserver does",
    doc: { metadata: { labels: {} } },
    patch: [{ op: "replace", path: "/metadata/labels/app", value: "web" }],
    want: { metadata: { labels: { app: "web" } } },
  },
  {
    name: "replace of the root replaces the document",
    doc: { a: 1 },
    patch: [{ op: "replace", path: "", value: { b: 2 } }],
    want: { b: 2 },
  },
  {
    name: "move relocates a member",
    doc: { a: { x: 1 }, b: {} },
    patch: [{ op: "move", from: "/a/x", path: "/b/y" }],
    want: { a: {}, b: { y: 1 } },
  },
  {
    name: "move within a list",
    doc: { l: [1, 2, 3] },
    patch: [{ op: "move", from: "/l/0", path: "/l/-" }],
    want: { l: [2, 3, 1] },
  },
  {
    name: "copy duplicates a value independently",
    doc: { a: { x: [1] } },
    patch: [
      { op: "copy", from: "/a", path: "/b" },
      { op: "add", path: "/b/x/-", value: 2 },
    ],
    want: { a: { x: [1] }, b: { x: [1, 2] } },
  },
  {
    name: "test passes on an equal value, key order aside",
    doc: { a: { x: 1, y: [1, 2] } },
    patch: [
      { op: "test", path: "/a", value: { y: [1, 2], x: 1 } },
      { op: "add", path: "/ok", value: true },
    ],
    want: { a: { x: 1, y: [1, 2] }, ok: true },
  },
  {
    name: "test of a missing member against null passes",
    doc: { a: 1 },
    patch: [{ op: "test", path: "/missing", value: null }],
    want: { a: 1 },
  },
  {
    name: "test of the root compares the whole document",
    doc: { a: 1 },
    patch: [{ op: "test", path: "", value: { a: 1 } }],
    want: { a: 1 },
  },
  {
    name: "~1 and ~0 unescape to / and ~",
    doc: { metadata: { annotations: { "a/b": "x", "c~d": "y", "~1": "z" } } },
    patch: [
      { op: "remove", path: "/metadata/annotations/a~1b" },
      { op: "replace", path: "/metadata/annotations/c~0d", value: "Y" },
      { op: "remove", path: "/metadata/annotations/~01" },
      { op: "add", path: "/metadata/annotations/app.kubernetes.io~1name", value: "web" },
    ],
    want: { metadata: { annotations: { "c~d": "Y", "app.kubernetes.io/name": "web" } } },
  },
  {
    name: "a __proto__ member is an ordinary member",
    doc: {},
    patch: [{ op: "add", path: "/__proto__", value: { polluted: true } }],
    want: JSON.parse('{"__proto__":{"polluted":true}}'),
  },
  {
    name: "null is an empty patch",
    doc: { a: 1 },
    patch: null,
    want: { a: 1 },
  },
];

interface ErrorCase {
  name: string;
  doc: JsonValue;
  patch: JsonValue;
  reason: PatchErrorReason;
  message: string;
}

const failures: ErrorCase[] = [
  {
    name: "add past the end of a list",
    doc: { l: [1] },
    patch: [{ op: "add", path: "/l/5", value: 0 }],
    reason: "Invalid",
    message:
      "error in add for path: '/l/5': Unable to access invalid index: 5: invalid index referenced",
  },
  {
    name: "remove past the end of a list",
    doc: { l: [1] },
    patch: [{ op: "remove", path: "/l/1" }],
    reason: "Invalid",
    message:
      "error in remove for path: '/l/1': Unable to access invalid index: 1: invalid index referenced",
  },
  {
    name: "remove before the start of a list",
    doc: { l: [1] },
    patch: [{ op: "remove", path: "/l/-2" }],
    reason: "Invalid",
    message: "Unable to access invalid index: -2: invalid index referenced",
  },
  {
    name: "replace past the end of a list",
    doc: { l: [1] },
    patch: [{ op: "replace", path: "/l/3", value: 0 }],
    reason: "Invalid",
    message: "replace operation does not apply: doc is missing key: /l/3: missing value",
  },
  {
    name: "add at an index that is not a number",
    doc: { l: [] },
    patch: [{ op: "add", path: "/l/x", value: 0 }],
    reason: "Invalid",
    message: `error in add for path: '/l/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax`,
  },
  {
    name: "test with a different value",
    doc: { a: 1 },
    patch: [{ op: "test", path: "/a", value: 2 }],
    reason: "Invalid",
    message: "testing value /a failed: test failed",
  },
  {
    name: "test of a missing member against a value",
    doc: {},
    patch: [{ op: "test", path: "/a", value: "x" }],
    reason: "Invalid",
    message: "testing value /a failed: test failed",
  },
  {
    name: "add below a missing member",
    doc: { a: {} },
    patch: [{ op: "add", path: "/b/c", value: 1 }],
    reason: "Invalid",
    message: 'add operation does not apply: doc is missing path: "/b/c": missing value',
  },
  {
    name: "add below a scalar",
    doc: { a: "text" },
    patch: [{ op: "add", path: "/a/c", value: 1 }],
    reason: "Invalid",
    message: 'add operation does not apply: doc is missing path: "/a/c": missing value',
  },
  {
    name: "a pointer without the leading slash",
    doc: { a: 1 },
    patch: [{ op: "remove", path: "a" }],
    reason: "Invalid",
    message: 'remove operation does not apply: doc is missing path: "a": missing value',
  },
  {
    name: "remove of a missing member",
    doc: { a: 1 },
    patch: [{ op: "remove", path: "/b" }],
    reason: "Invalid",
    message: "error in remove for path: '/b': Unable to remove nonexistent key: b: missing value",
  },
  {
    name: "move from a missing member",
    doc: { a: 1 },
    patch: [{ op: "move", from: "/b", path: "/c" }],
    reason: "Invalid",
    message: "error in move for path: 'b': Unable to remove nonexistent key: b: missing value",
  },
  {
    name: "copy from a missing member",
    doc: { a: 1 },
    patch: [{ op: "copy", from: "/b", path: "/c" }],
    reason: "Invalid",
    message: "copy operation does not apply: doc is missing from path: /b: missing value",
  },
  {
    name: "add to the whole document",
    doc: { a: 1 },
    patch: [{ op: "add", path: "", value: {} }],
    reason: "Invalid",
    message: 'add operation does not apply: doc is missing path: "": missing value',
  },
  {
    name: "an unknown op",
    doc: {},
    patch: [{ op: "frobnicate", path: "/a" }],
    reason: "Invalid",
    message: "Unexpected kind: frobnicate",
  },
  {
    name: "an op named like an Object method",
    doc: {},
    patch: [{ op: "toString", path: "/a" }],
    reason: "Invalid",
    message: "Unexpected kind: toString",
  },
  {
    name: "an operation without path",
    doc: {},
    patch: [{ op: "add", value: 1 }],
    reason: "Invalid",
    message: "add operation failed to decode path: operation missing path field: missing value",
  },
  {
    name: "a document that is not an array",
    doc: {},
    patch: { op: "add", path: "/a", value: 1 },
    reason: "BadRequest",
    message: "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
  },
  {
    name: "an operation that is not an object",
    doc: {},
    patch: [1],
    reason: "BadRequest",
    message: "json: cannot unmarshal number into Go value of type jsonpatch.Operation",
  },
];

describe("applyJsonPatch", () => {
  for (const c of applies) {
    test(c.name, () => {
      expect(applyJsonPatch(c.doc, c.patch)).toEqual(c.want);
    });
  }

  for (const c of failures) {
    test(`rejects ${c.name}`, () => {
      expectPatchError(() => applyJsonPatch(c.doc, c.patch), c.reason, c.message);
    });
  }

  test("a failing operation answers 422 and leaves the input untouched", () => {
    const doc = { a: 1, l: [1] };
    const error = expectPatchError(
      () =>
        applyJsonPatch(doc, [
          { op: "add", path: "/b", value: 2 },
          { op: "test", path: "/a", value: 5 },
        ]),
      "Invalid",
      "test failed",
    );
    expect(error.code).toBe(422);
    expect(doc).toEqual({ a: 1, l: [1] });
  });

  test("never modifies the document or the patch values", () => {
    const doc = { a: { x: 1 } };
    const value = { y: [1] };
    const result = applyJsonPatch(doc, [
      { op: "add", path: "/a/v", value },
      { op: "add", path: "/a/v/y/-", value: 2 },
    ]);
    expect(result).toEqual({ a: { x: 1, v: { y: [1, 2] } } });
    expect(doc).toEqual({ a: { x: 1 } });
    expect(value).toEqual({ y: [1] });
  });

  test("a __proto__ member does not change the result's prototype", () => {
    const result = applyJsonPatch({}, [
      { op: "add", path: "/__proto__", value: { polluted: true } },
    ]) as Record<string, unknown>;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(result.polluted).toBeUndefined();
    expect(Object.keys(result)).toEqual(["__proto__"]);
  });

  test("stops copies that grow the document past the copy limit", () => {
    const doc = { a: "x".repeat(40) };
    const patch = [
      { op: "copy", from: "/a", path: "/b" },
      { op: "copy", from: "/a", path: "/c" },
    ];
    expect(applyJsonPatch(doc, patch, { maxCopyBytes: 100 })).toHaveProperty("c");
    expectPatchError(
      () => applyJsonPatch(doc, patch, { maxCopyBytes: 50 }),
      "Invalid",
      "Unable to complete the copy, the accumulated size increase of copy is 84, exceeding the limit 50",
    );
  });
});

describe("decodeJsonPatch", () => {
  test("refuses more operations than kube-apiserver allows with 413", () => {
    const op = { op: "test", path: "/a", value: 1 };
    expect(decodeJsonPatch(Array(MAX_JSON_PATCH_OPERATIONS).fill(op))).toHaveLength(10_000);
    const error = expectPatchError(
      () => decodeJsonPatch(Array(MAX_JSON_PATCH_OPERATIONS + 1).fill(op)),
      "RequestEntityTooLarge",
      "The allowed maximum operations in a JSON patch is 10000, got 10001",
    );
    expect(error.code).toBe(413);
  });

  test("a document that is not an array answers 400", () => {
    expect(expectPatchError(() => decodeJsonPatch("add"), "BadRequest", "string").code).toBe(400);
  });
});
