import { describe, expect, test } from "bun:test";
import { fieldErrorMessage } from "../../../src/resources/validation/field-error.ts";
import { fieldPath } from "../../../src/resources/validation/field-path.ts";
import { semanticEqual, validateImmutable } from "../../../src/resources/validation/immutable.ts";

describe("validateImmutable", () => {
  const path = fieldPath("spec", "selector");

  test("accepts an unchanged value", () => {
    expect(
      validateImmutable({ matchLabels: { a: "b" } }, { matchLabels: { a: "b" } }, path),
    ).toEqual([]);
  });

  test("rejects a change with upstream's message, showing the new value", () => {
    expect(
      validateImmutable("old", "new", fieldPath("spec", "type")).map(fieldErrorMessage),
    ).toEqual(['spec.type: Invalid value: "new": field is immutable']);
    expect(
      validateImmutable({ matchLabels: { a: "b" } }, { matchLabels: { a: "c" } }, path).map(
        fieldErrorMessage,
      ),
    ).toEqual(['spec.selector: Invalid value: {"matchLabels":{"a":"c"}}: field is immutable']);
  });
});

describe("semanticEqual", () => {
  const equal: [unknown, unknown][] = [
    [undefined, null],
    [undefined, []],
    [null, {}],
    [{ a: [] }, {}],
    [{ a: null, b: 1 }, { b: 1 }],
    [
      [1, { x: "y" }],
      [1, { x: "y" }],
    ],
    [{ a: { b: [] } }, { a: {} }],
  ];
  for (const [a, b] of equal) {
    test(`${JSON.stringify(a)} equals ${JSON.stringify(b)}`, () =>
      expect(semanticEqual(a, b)).toBe(true));
  }
  const different: [unknown, unknown][] = [
    ["", undefined],
    [0, null],
    [
      [1, 2],
      [2, 1],
    ],
    [{ a: 1 }, { a: "1" }],
    [{ a: [1] }, {}],
    [[1], { 0: 1 }],
  ];
  for (const [a, b] of different) {
    test(`${JSON.stringify(a)} differs from ${JSON.stringify(b)}`, () =>
      expect(semanticEqual(a, b)).toBe(false));
  }
});
