import { describe, expect, test } from "bun:test";
import {
  InvalidLabelSelectorError,
  newRequirement,
  parseInt64,
  requirementMatches,
  requirementToString,
  type SelectorOperator,
} from "../../../src/resources/labels/requirement.ts";
import { FieldPath } from "../../../src/resources/validation/field-path.ts";

function failure(key: string, operator: SelectorOperator, values: string[], path?: FieldPath) {
  try {
    newRequirement(key, operator, values, path);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidLabelSelectorError);
    return error as InvalidLabelSelectorError;
  }
  throw new Error("accepted");
}

describe("newRequirement", () => {
  const accepted: [string, SelectorOperator, string[]][] = [
    ["x", "=", ["a"]],
    ["x", "==", [""]],
    ["x", "!=", ["a"]],
    ["x", "in", ["a", "b"]],
    ["x", "notin", [""]],
    ["x", "exists", []],
    ["x", "!", []],
    ["x", "gt", ["9223372036854775807"]],
    ["x", "lt", ["05"]],
    ["example.com/x", "=", ["a"]],
  ];
  for (const [key, operator, values] of accepted) {
    test(`accepts ${key} ${operator} ${JSON.stringify(values)}`, () => {
      expect(newRequirement(key, operator, values)).toEqual({ key, operator, values });
    });
  }

  const rejected: [string, SelectorOperator, string[], string][] = [
    [
      "x",
      "in",
      [],
      "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      "x",
      "notin",
      [],
      "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      "x",
      "=",
      ["a", "b"],
      'values: Invalid value: ["a","b"]: exact-match compatibility requires one single value',
    ],
    [
      "x",
      "!=",
      [],
      "values: Invalid value: null: exact-match compatibility requires one single value",
    ],
    [
      "x",
      "exists",
      ["a"],
      'values: Invalid value: ["a"]: values set must be empty for exists and does not exist',
    ],
    [
      "x",
      "gt",
      [],
      "values: Invalid value: null: for 'Gt', 'Lt' operators, exactly one value is required",
    ],
    [
      "x",
      "lt",
      ["9223372036854775808"],
      "values[0]: Invalid value: \"9223372036854775808\": for 'Gt', 'Lt' operators, the value must be an integer",
    ],
    [
      "x",
      "bogus" as SelectorOperator,
      [],
      'operator: Unsupported value: "bogus": supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"',
    ],
  ];
  for (const [key, operator, values, message] of rejected) {
    test(`rejects ${key} ${operator} ${JSON.stringify(values)}`, () => {
      expect(failure(key, operator, values).message).toBe(message);
    });
  }

  test("prefixes field paths with the given path", () => {
    const error = failure("", "in", [], FieldPath.root("spec", "selector"));
    expect(error.causes.map((cause) => cause.field)).toEqual([
      "spec.selector.key",
      "spec.selector.values",
    ]);
    expect(
      error.message.startsWith(
        '[spec.selector.key: Invalid value: "": name part must be non-empty; ',
      ),
    ).toBe(true);
  });
});

describe("requirementToString", () => {
  test("sorts several values without changing the requirement", () => {
    const requirement = newRequirement("x", "in", ["c", "a", "b"]);
    expect(requirementToString(requirement)).toBe("x in (a,b,c)");
    expect(requirement.values).toEqual(["c", "a", "b"]);
  });
});

describe("requirementMatches", () => {
  test("gt and lt compare as 64-bit integers", () => {
    const big = newRequirement("x", "gt", ["9007199254740993"]);
    expect(requirementMatches(big, { x: "9007199254740994" })).toBe(true);
    expect(requirementMatches(big, { x: "9007199254740993" })).toBe(false);
    expect(requirementMatches(newRequirement("x", "lt", ["0"]), { x: "-1" })).toBe(true);
  });
});

describe("parseInt64", () => {
  test("accepts what Go's ParseInt accepts", () => {
    expect(parseInt64("007")).toBe(7n);
    expect(parseInt64("-9223372036854775808")).toBe(-(2n ** 63n));
    expect(parseInt64("9223372036854775808")).toBeUndefined();
    expect(parseInt64("1.0")).toBeUndefined();
    expect(parseInt64("")).toBeUndefined();
  });
});
