import { describe, expect, test } from "bun:test";
import { exceedsValueLimit, maxValueBytes, prefixEnd } from "../../src/store/keys.ts";

describe("prefixEnd", () => {
  test("is the first string after every key with the prefix", () => {
    expect(prefixEnd("/registry/pods/")).toBe("/registry/pods0");
    expect(prefixEnd("a")).toBe("b");
    for (const key of ["/registry/pods/", "/registry/pods/default/x", "/registry/pods/\u00ff"]) {
      expect(key >= "/registry/pods/" && key < prefixEnd("/registry/pods/")).toBe(true);
    }
    expect("/registry/podsx" < prefixEnd("/registry/pods/")).toBe(false);
  });

  test("skips characters that cannot be incremented", () => {
    expect(prefixEnd("a\uffff")).toBe("b");
  });
});

describe("exceedsValueLimit", () => {
  test("counts UTF-8 bytes", () => {
    expect(exceedsValueLimit("x".repeat(maxValueBytes))).toBe(false);
    expect(exceedsValueLimit("x".repeat(maxValueBytes + 1))).toBe(true);
    expect(exceedsValueLimit("€".repeat(maxValueBytes / 3))).toBe(false);
    expect(exceedsValueLimit("€".repeat(maxValueBytes / 3 + 1))).toBe(true);
  });
});
