import { describe, expect, test } from "bun:test";
import {
  labelSelectorHasInvalidLabelValue,
  validateLabelSelector,
} from "../../../src/resources/labels/label-selector-validation.ts";
import { fieldErrorMessage } from "../../../src/resources/validation/field-error.ts";
import { FieldPath } from "../../../src/resources/validation/field-path.ts";

const path = FieldPath.root("spec", "selector");
const labelValueRegexError =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe("validateLabelSelector", () => {
  test("accepts a missing selector and a well-formed one", () => {
    expect(validateLabelSelector(null, path)).toEqual([]);
    expect(
      validateLabelSelector(
        {
          matchLabels: { app: "web" },
          matchExpressions: [
            { key: "env", operator: "In", values: ["prod"] },
            { key: "canary", operator: "DoesNotExist" },
          ],
        },
        path,
      ),
    ).toEqual([]);
  });

  const table: [
    name: string,
    selector: Parameters<typeof validateLabelSelector>[0],
    messages: string[],
  ][] = [
    [
      "In without values",
      { matchExpressions: [{ key: "a", operator: "In", values: [] }] },
      [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      ],
    ],
    [
      "Exists with values",
      { matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] },
      [
        "spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      ],
    ],
    [
      "an unknown operator",
      { matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] },
      [
        'spec.selector.matchExpressions[0].operator: Invalid value: "Gt": not a valid selector operator',
      ],
    ],
    [
      "an invalid value",
      { matchExpressions: [{ key: "a", operator: "In", values: ["ok", "-bad"] }] },
      [
        `spec.selector.matchExpressions[0].values[1]: Invalid value: "-bad": ${labelValueRegexError}`,
      ],
    ],
    [
      "an invalid matchLabels value",
      { matchLabels: { a: "-bad" } },
      [`spec.selector.matchLabels: Invalid value: "-bad": ${labelValueRegexError}`],
    ],
  ];
  for (const [name, selector, messages] of table) {
    test(`reports ${name}`, () => {
      expect(validateLabelSelector(selector, path).map(fieldErrorMessage)).toEqual(messages);
    });
  }

  test("options allow unknown operators and stored invalid values", () => {
    const selector = { matchExpressions: [{ key: "a", operator: "Gt", values: ["-1"] }] };
    expect(labelSelectorHasInvalidLabelValue(selector)).toBe(true);
    expect(
      validateLabelSelector(selector, path, {
        allowUnknownOperatorInRequirement: true,
        allowInvalidLabelValueInSelector: true,
      }),
    ).toEqual([]);
    expect(
      labelSelectorHasInvalidLabelValue({
        matchExpressions: [{ key: "a", operator: "In", values: ["b"] }],
      }),
    ).toBe(false);
  });
});
