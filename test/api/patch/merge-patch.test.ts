import { describe, expect, test } from "bun:test";
import type { JsonValue } from "../../../src/api/patch/json-value.ts";
import {
  applyMergePatch,
  createMergePatch,
  mergePatchDocument,
} from "../../../src/api/patch/merge-patch.ts";
import { expectPatchError } from "./expect-patch-error.ts";

// RFC 7386, Appendix A: [original, patch, result].
const rfcExamples: [JsonValue, JsonValue, JsonValue][] = [
  [{ a: "b" }, { a: "c" }, { a: "c" }],
  [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
  [{ a: "b" }, { a: null }, {}],
  [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
  [{ a: ["b"] }, { a: "c" }, { a: "c" }],
  [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
  [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
  [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
  [
    ["a", "b"],
    ["c", "d"],
    ["c", "d"],
  ],
  [{ a: "b" }, ["c"], ["c"]],
  [{ a: "foo" }, null, null],
  [{ a: "foo" }, "bar", "bar"],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: "b", c: null }, { a: "b" }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

describe("applyMergePatch", () => {
  for (const [original, patch, result] of rfcExamples) {
    test(`RFC 7386 example: ${JSON.stringify(original)} + ${JSON.stringify(patch)}`, () => {
      expect(applyMergePatch(original, patch)).toEqual(result);
    });
  }

  test("merges nested objects and replaces lists on a Kubernetes object", () => {
    const pod = {
      metadata: { name: "web", labels: { app: "web", tier: "front" } },
      spec: { containers: [{ name: "app", image: "nginx:1.25" }], nodeName: "n1" },
    };
    const patched = applyMergePatch(pod, {
      metadata: { labels: { tier: null, track: "stable" } },
      spec: { containers: [{ name: "app", image: "nginx:1.27" }] },
    });
    expect(patched).toEqual({
      metadata: { name: "web", labels: { app: "web", track: "stable" } },
      spec: { containers: [{ name: "app", image: "nginx:1.27" }], nodeName: "n1" },
    });
  });

  test("never modifies its inputs or shares objects with them", () => {
    const original = { a: { b: 1 }, keep: { deep: [1] } };
    const patch = { a: { c: { d: 2 } } };
    const result = applyMergePatch(original, patch) as {
      a: { c: { d: number } };
      keep: { deep: number[] };
    };
    result.a.c.d = 99;
    result.keep.deep.push(2);
    expect(original).toEqual({ a: { b: 1 }, keep: { deep: [1] } });
    expect(patch).toEqual({ a: { c: { d: 2 } } });
  });
});

describe("mergePatchDocument", () => {
  test("accepts an object", () => {
    expect(mergePatchDocument({ a: 1 })).toEqual({ a: 1 });
  });

  for (const patch of [null, [1], "x", 3]) {
    test(`refuses ${JSON.stringify(patch)} with 400 as kube-apiserver does`, () => {
      const error = expectPatchError(
        () => mergePatchDocument(patch),
        "BadRequest",
        "Invalid JSON Patch",
      );
      expect(error.code).toBe(400);
    });
  }
});

describe("createMergePatch", () => {
  const pairs: { name: string; original: JsonValue; modified: JsonValue; patch: JsonValue }[] = [
    {
      name: "identical objects",
      original: { a: 1, b: [1] },
      modified: { a: 1, b: [1] },
      patch: {},
    },
    {
      name: "changed, added and removed members",
      original: { a: 1, b: 2, c: { d: 1, e: 2 } },
      modified: { a: 1, b: 3, c: { d: 1 }, f: true },
      patch: { b: 3, c: { e: null }, f: true },
    },
    {
      name: "a changed list is sent whole",
      original: { l: [1, 2, 3] },
      modified: { l: [1, 3] },
      patch: { l: [1, 3] },
    },
    {
      name: "a member that changes kind is replaced",
      original: { a: { b: 1 } },
      modified: { a: "x" },
      patch: { a: "x" },
    },
    {
      name: "a non-object replaces the whole document",
      original: { a: 1 },
      modified: [1, 2],
      patch: [1, 2],
    },
  ];

  for (const c of pairs) {
    test(c.name, () => {
      const patch = createMergePatch(c.original, c.modified);
      expect(patch).toEqual(c.patch);
      expect(applyMergePatch(c.original, patch)).toEqual(c.modified);
    });
  }
});
