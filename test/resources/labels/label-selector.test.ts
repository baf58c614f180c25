import { describe, expect, test } from "bun:test";
import {
  InvalidLabelSelectorError,
  LabelSelector,
  labelSelectorAsSelector,
  newRequirement,
  parseLabelSelector,
} from "../../../src/resources/labels/label-selector.ts";
import { FieldPath } from "../../../src/resources/validation/field-path.ts";

const keyNameRegexError =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const labelValueRegexError =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function parseError(input: string): string {
  try {
    parseLabelSelector(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidLabelSelectorError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(input)} parsed`);
}

describe("parseLabelSelector", () => {
  const canonical: [input: string, printed: string][] = [
    ["", ""],
    ["   ", ""],
    ["a=b,c!=d,e in (x,y),f notin (z),g,!h", "a=b,c!=d,e in (x,y),f notin (z),g,!h"],
    ["x=a,y=b,z=c", "x=a,y=b,z=c"],
    ["z=c,y=b,x=a", "x=a,y=b,z=c"],
    ["x==a", "x==a"],
    ["x = a , y != b", "x=a,y!=b"],
    ["\tx\n=\ra", "x=a"],
    ["x=", "x="],
    ["x=,z= ", "x=,z="],
    ["x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"],
    ["x in (b,a,b)", "x in (a,b)"],
    ["x in (a,)", "x in (,a)"],
    ["x in (,a)", "x in (,a)"],
    ["x in (a,,)", "x in (,a)"],
    ["x in ()", "x in ()"],
    ["x notin (a)", "x notin (a)"],
    ["in in (in)", "in in (in)"],
    ["notin notin (notin)", "notin notin (notin)"],
    ["x=in", "x=in"],
    ["!x", "!x"],
    ["x>1", "x>1"],
    ["x<10", "x<10"],
    ["example.com/app=web", "example.com/app=web"],
  ];
  for (const [input, printed] of canonical) {
    test(`${JSON.stringify(input)} prints as ${JSON.stringify(printed)}`, () => {
      expect(parseLabelSelector(input).toString()).toBe(printed);
    });
  }

  const errors: [input: string, message: string][] = [
    [
      "x=a||y=b",
      `unable to parse requirement: values[0][x]: Invalid value: "a||y": ${labelValueRegexError}`,
    ],
    ["x=a y", "found 'y', expected: ',' or 'end of string'"],
    ["x b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ["a,", "found '', expected: identifier after ','"],
    [",a", "found ',', expected: !, identifier, or 'end of string'"],
    ["a,,b", "found ',', expected: identifier after ','"],
    ["(a", "found '(', expected: !, identifier, or 'end of string'"],
    ["!a=b", "found '=', expected: ',' or 'end of string'"],
    ["!", "unable to parse requirement: found '', expected: identifier"],
    ["x in", "unable to parse requirement: found '' expected: '('"],
    ["x in (", "unable to parse requirement: found '', expected: ',', ')' or identifier"],
    ["x in (a", "unable to parse requirement: found '', expected: ',' or ')'"],
    ["x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ["x in (a,=)", "unable to parse requirement: found '=', expected: ',', or identifier"],
    ["x=(a)", "unable to parse requirement: found '(', expected: identifier"],
    ["x===a", "unable to parse requirement: found '=', expected: identifier"],
    ["a_=b", `unable to parse requirement: <nil>: Invalid value: "a_": ${keyNameRegexError}`],
    [
      "x=-a",
      `unable to parse requirement: values[0][x]: Invalid value: "-a": ${labelValueRegexError}`,
    ],
    [
      "x>a",
      `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`,
    ],
    [
      "x>-1",
      `unable to parse requirement: values[0][x]: Invalid value: "-1": ${labelValueRegexError}`,
    ],
    [
      "a/b/c=d",
      `unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ],
    [
      `x=${"v".repeat(64)}`,
      `unable to parse requirement: values[0][x]: Invalid value: "${"v".repeat(64)}": must be no more than 63 characters`,
    ],
  ];
  for (const [input, message] of errors) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      expect(parseError(input)).toBe(message);
    });
  }

  test("reports key errors at the given path and keeps the field errors", () => {
    try {
      parseLabelSelector("a_", FieldPath.root("spec", "selector"));
      throw new Error("parsed");
    } catch (error) {
      const invalid = error as InvalidLabelSelectorError;
      expect(invalid.message).toBe(
        `unable to parse requirement: spec.selector: Invalid value: "a_": ${keyNameRegexError}`,
      );
      expect(invalid.causes.map((cause) => cause.field)).toEqual(["spec.selector"]);
    }
  });

  test("a key of two parts with an empty prefix reports both problems, joined", () => {
    expect(parseError("/=a")).toBe(
      `unable to parse requirement: <nil>: Invalid value: "/": prefix part must be non-empty; name part must be non-empty; ${keyNameRegexError}`,
    );
  });
});

describe("LabelSelector.matches", () => {
  const labels = { app: "web", tier: "front", version: "3", empty: "" };
  const table: [selector: string, expected: boolean][] = [
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app=api", false],
    ["app!=api", true],
    ["app!=web", false],
    ["missing!=x", true],
    ["missing=x", false],
    ["app in (web,api)", true],
    ["app in (api)", false],
    ["missing in (x)", false],
    ["app notin (api)", true],
    ["app notin (web)", false],
    ["missing notin (x)", true],
    ["app", true],
    ["missing", false],
    ["!missing", true],
    ["!app", false],
    ["empty", true],
    ["empty=", true],
    ["missing=", false],
    ["version>2", true],
    ["version>3", false],
    ["version<4", true],
    ["app>1", false],
    ["missing<4", false],
    ["app=web,tier=front", true],
    ["app=web,tier=back", false],
  ];
  for (const [selector, expected] of table) {
    test(`${JSON.stringify(selector)} ${expected ? "matches" : "does not match"}`, () => {
      expect(parseLabelSelector(selector).matches(labels)).toBe(expected);
    });
  }

  test("treats missing labels as an empty set", () => {
    expect(parseLabelSelector("!app").matches(undefined)).toBe(true);
    expect(parseLabelSelector("app").matches(null)).toBe(false);
  });

  test("does not see inherited properties as labels", () => {
    expect(parseLabelSelector("toString").matches({})).toBe(false);
    expect(parseLabelSelector("!constructor").matches({})).toBe(true);
  });
});

describe("LabelSelector everything and nothing", () => {
  test("an empty selector is empty and matches everything", () => {
    const everything = LabelSelector.everything();
    expect(everything.isEmpty()).toBe(true);
    expect(everything.matchesNothing()).toBe(false);
    expect(everything.matches({})).toBe(true);
    expect(parseLabelSelector("").isEmpty()).toBe(true);
  });

  test("nothing matches no label set and is not empty", () => {
    const nothing = LabelSelector.nothing();
    expect(nothing.isEmpty()).toBe(false);
    expect(nothing.matchesNothing()).toBe(true);
    expect(nothing.matches({})).toBe(false);
    expect(nothing.matches({ a: "b" })).toBe(false);
    expect(nothing.toString()).toBe("");
    expect(nothing.add(newRequirement("a", "exists", [])).matchesNothing()).toBe(true);
  });

  test("a non-empty selector is not empty", () => {
    expect(parseLabelSelector("a").isEmpty()).toBe(false);
  });
});

describe("LabelSelector.fromObject", () => {
  test("a missing selector object matches nothing", () => {
    expect(LabelSelector.fromObject(null).matchesNothing()).toBe(true);
    expect(labelSelectorAsSelector(undefined).matches({})).toBe(false);
  });

  test("an object without terms matches everything", () => {
    expect(LabelSelector.fromObject({}).isEmpty()).toBe(true);
    expect(LabelSelector.fromObject({ matchLabels: {}, matchExpressions: [] }).matches({})).toBe(
      true,
    );
  });

  test("converts matchLabels and every operator", () => {
    const selector = LabelSelector.fromObject({
      matchLabels: { tier: "front", app: "web" },
      matchExpressions: [
        { key: "env", operator: "In", values: ["prod", "dev"] },
        { key: "canary", operator: "DoesNotExist" },
        { key: "zone", operator: "Exists" },
        { key: "team", operator: "NotIn", values: ["x"] },
      ],
    });
    expect(selector.toString()).toBe(
      "app=web,!canary,env in (dev,prod),team notin (x),tier=front,zone",
    );
    expect(selector.matches({ app: "web", tier: "front", env: "prod", zone: "a" })).toBe(true);
    expect(
      selector.matches({ app: "web", tier: "front", env: "prod", zone: "a", canary: "1" }),
    ).toBe(false);
  });

  test("rejects an unknown operator with upstream's message", () => {
    expect(() =>
      LabelSelector.fromObject({ matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] }),
    ).toThrow(new InvalidLabelSelectorError('"Gt" is not a valid label selector operator'));
  });

  test("rejects empty In values and invalid keys with field errors", () => {
    expect(() =>
      LabelSelector.fromObject({ matchExpressions: [{ key: "a", operator: "In", values: [] }] }),
    ).toThrow(
      "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
    );
    expect(() => LabelSelector.fromObject({ matchLabels: { "-a": "b" } })).toThrow(
      `key: Invalid value: "-a": ${keyNameRegexError}`,
    );
  });

  test("aggregates several problems of one requirement in brackets", () => {
    expect(() =>
      LabelSelector.fromObject({
        matchExpressions: [{ key: "a", operator: "Exists", values: ["-x"] }],
      }),
    ).toThrow(
      `[values: Invalid value: ["-x"]: values set must be empty for exists and does not exist, values[0][a]: Invalid value: "-x": ${labelValueRegexError}]`,
    );
  });
});

describe("LabelSelector.fromSet", () => {
  test("selects exactly the set, sorted", () => {
    const selector = LabelSelector.fromSet({ b: "2", a: "1" });
    expect(selector.toString()).toBe("a=1,b=2");
    expect(selector.matches({ a: "1", b: "2", c: "3" })).toBe(true);
    expect(selector.matches({ a: "1" })).toBe(false);
  });

  test("an empty or missing set matches everything", () => {
    expect(LabelSelector.fromSet({}).isEmpty()).toBe(true);
    expect(LabelSelector.fromSet(undefined).isEmpty()).toBe(true);
  });

  test("validates only when asked", () => {
    expect(LabelSelector.fromSet({ a: "-x" }).toString()).toBe("a=-x");
    expect(() => LabelSelector.fromSet({ a: "-x" }, { validate: true })).toThrow(
      InvalidLabelSelectorError,
    );
  });
});

describe("LabelSelector.requiresExactMatch", () => {
  const table: [selector: string, key: string, expected: string | undefined][] = [
    ["app=web", "app", "web"],
    ["app==web", "app", "web"],
    ["app in (web)", "app", "web"],
    ["app in (web,api)", "app", undefined],
    ["app!=web", "app", undefined],
    ["app", "app", undefined],
    ["tier=front", "app", undefined],
  ];
  for (const [selector, key, expected] of table) {
    test(`${selector} pins ${key} to ${String(expected)}`, () => {
      expect(parseLabelSelector(selector).requiresExactMatch(key)).toBe(expected);
    });
  }
});

describe("LabelSelector.add", () => {
  test("returns a new sorted selector and leaves the original alone", () => {
    const base = parseLabelSelector("b=1");
    const added = base.add(newRequirement("a", "!=", ["2"]));
    expect(added.toString()).toBe("a!=2,b=1");
    expect(base.toString()).toBe("b=1");
    expect(added.requirements().map((r) => r.key)).toEqual(["a", "b"]);
  });
});
