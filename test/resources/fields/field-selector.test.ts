import { describe, expect, test } from "bun:test";
import {
  escapeFieldValue,
  FieldSelector,
  fieldLabelNotSupported,
  fieldNotKnownMetadataOnly,
  InvalidFieldSelectorError,
  parseFieldSelector,
  unescapeFieldValue,
} from "../../../src/resources/fields/field-selector.ts";

describe("parseFieldSelector", () => {
  const canonical: [input: string, printed: string][] = [
    ["", ""],
    [
      "metadata.name=x,spec.nodeName!=,status.phase==Running",
      "metadata.name=x,spec.nodeName!=,status.phase=Running",
    ],
    ["b=2,a=1", "a=1,b=2"],
    ["a=1,,b=2", "a=1,b=2"],
    ["a==b", "a=b"],
    ["a!=b", "a!=b"],
    ["a=", "a="],
    ["=", ""],
    ["=x", "=x"],
    ["a=b\\,c", "a=b\\,c"],
    ["a=b\\=c\\\\", "a=b\\=c\\\\"],
    ["x=a b", "x=a b"],
  ];
  for (const [input, printed] of canonical) {
    test(`${JSON.stringify(input)} prints as ${JSON.stringify(printed)}`, () => {
      expect(parseFieldSelector(input).toString()).toBe(printed);
    });
  }

  test("does not trim whitespace around field names", () => {
    expect(parseFieldSelector("metadata.name = x").fieldPaths()).toEqual(["metadata.name "]);
  });

  test("splits at the first operator, trying != before == before =", () => {
    expect(parseFieldSelector("a!=b").requirements()).toEqual([
      { field: "a", operator: "!=", value: "b" },
    ]);
    expect(parseFieldSelector("a==b").requirements()).toEqual([
      { field: "a", operator: "=", value: "b" },
    ]);
    expect(parseFieldSelector("a=\\=b").requirements()).toEqual([
      { field: "a", operator: "=", value: "=b" },
    ]);
  });

  const errors: [input: string, message: string][] = [
    ["abc", "invalid selector: 'abc'; can't understand 'abc'"],
    ["a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"],
    ["a=b=c", "invalid field selector: unescaped character in value: 61"],
    ["a=\\x", "invalid field selector: invalid escape sequence: \\x"],
    ["a=b\\", "invalid field selector: invalid escape sequence: \\"],
  ];
  for (const [input, message] of errors) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      expect(() => parseFieldSelector(input)).toThrow(new InvalidFieldSelectorError(message));
    });
  }
});

describe("FieldSelector.matches", () => {
  const fields = { "metadata.name": "web", "spec.nodeName": "", "status.phase": "Running" };
  const table: [selector: string, expected: boolean][] = [
    ["", true],
    ["metadata.name=web", true],
    ["metadata.name==web", true],
    ["metadata.name=api", false],
    ["metadata.name!=api", true],
    ["metadata.name!=web", false],
    ["spec.nodeName=", true],
    ["spec.nodeName!=", false],
    ["spec.unknown=", true],
    ["spec.unknown!=", false],
    ["spec.unknown=x", false],
    ["metadata.name=web,status.phase=Running", true],
    ["metadata.name=web,status.phase!=Running", false],
  ];
  for (const [selector, expected] of table) {
    test(`${JSON.stringify(selector)} ${expected ? "matches" : "does not match"}`, () => {
      expect(parseFieldSelector(selector).matches(fields)).toBe(expected);
    });
  }

  test("matches unescaped values", () => {
    expect(parseFieldSelector("a=x\\,y").matches({ a: "x,y" })).toBe(true);
  });

  test("nothing matches nothing and everything matches everything", () => {
    expect(FieldSelector.nothing().matches({})).toBe(false);
    expect(FieldSelector.nothing().isEmpty()).toBe(false);
    expect(FieldSelector.nothing().matchesNothing()).toBe(true);
    expect(FieldSelector.everything().matches({})).toBe(true);
    expect(FieldSelector.everything().isEmpty()).toBe(true);
    expect(parseFieldSelector("a=b").isEmpty()).toBe(false);
  });
});

describe("FieldSelector field support", () => {
  const supported = ["metadata.name", "metadata.namespace", "spec.nodeName"];

  test("reports the field paths it uses, once each", () => {
    expect(
      parseFieldSelector("spec.nodeName!=,metadata.name=a,spec.nodeName!=b").fieldPaths(),
    ).toEqual(["metadata.name", "spec.nodeName"]);
  });

  test("finds the first unsupported field", () => {
    expect(parseFieldSelector("metadata.name=a").unsupportedField(supported)).toBeUndefined();
    expect(parseFieldSelector("metadata.name=a,spec.foo=b").unsupportedField(supported)).toBe(
      "spec.foo",
    );
  });

  test("refuses unsupported fields with upstream's message", () => {
    expect(() => parseFieldSelector("spec.foo=b").assertSupported(supported)).toThrow(
      new InvalidFieldSelectorError("field label not supported: spec.foo"),
    );
    expect(() => parseFieldSelector("spec.nodeName=n").assertSupported(supported)).not.toThrow();
  });

  test("message helpers use upstream's texts", () => {
    expect(fieldLabelNotSupported("spec.foo")).toBe("field label not supported: spec.foo");
    expect(fieldNotKnownMetadataOnly("spec.foo")).toBe(
      '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });
});

describe("FieldSelector helpers", () => {
  test("requiresExactMatch returns the pinned value of = terms only", () => {
    const selector = parseFieldSelector("metadata.name=web,spec.nodeName!=n1");
    expect(selector.requiresExactMatch("metadata.name")).toBe("web");
    expect(selector.requiresExactMatch("spec.nodeName")).toBeUndefined();
  });

  test("transform rewrites terms and drops those emptied", () => {
    const selector = parseFieldSelector("spec.host=n1,legacy=x").transform((field, value) =>
      field === "legacy"
        ? { field: "", value: "" }
        : { field: field.replace("host", "nodeName"), value },
    );
    expect(selector.toString()).toBe("spec.nodeName=n1");
  });

  test("fromSet selects exactly the set", () => {
    const selector = FieldSelector.fromSet({ "metadata.name": "a,b" });
    expect(selector.toString()).toBe("metadata.name=a\\,b");
    expect(selector.matches({ "metadata.name": "a,b" })).toBe(true);
    expect(FieldSelector.fromSet({}).isEmpty()).toBe(true);
  });

  test("escape and unescape round-trip", () => {
    for (const value of ["", "plain", "a,b", "a=b", "back\\slash", "\\,=\\"]) {
      expect(unescapeFieldValue(escapeFieldValue(value))).toBe(value);
    }
    expect(escapeFieldValue("a\\b,c=d")).toBe("a\\\\b\\,c\\=d");
  });
});
