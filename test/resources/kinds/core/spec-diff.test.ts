import { describe, expect, test } from "bun:test";
import { describeDiff } from "../../../../src/resources/kinds/core/spec-diff.ts";

describe("describeDiff", () => {
  test.each<[string, unknown, unknown, string]>([
    ["a changed scalar", { a: 1, b: 2 }, { a: 1, b: 3 }, "- spec.b: 2\n+ spec.b: 3"],
    [
      "a change inside a list",
      { c: [{ name: "x", port: 80 }] },
      { c: [{ name: "x", port: 81 }] },
      "- spec.c[0].port: 80\n+ spec.c[0].port: 81",
    ],
    ["an added field", {}, { d: "x" }, '- spec.d: null\n+ spec.d: "x"'],
    [
      "a list of another length as a whole",
      { e: [1] },
      { e: [1, 2] },
      "- spec.e: [1]\n+ spec.e: [1,2]",
    ],
    ["empty and absent as equal", { f: [] }, {}, ""],
  ])("renders %s", (_, before, after, expected) => {
    expect(describeDiff(before, after, "spec")).toBe(expected);
  });

  test("cuts long diffs short", () => {
    const before = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]));
    const after = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i + 1]));
    const lines = describeDiff(before, after).split("\n");
    expect(lines).toHaveLength(41);
    expect(lines.at(-1)).toBe("  … 10 more");
  });
});
