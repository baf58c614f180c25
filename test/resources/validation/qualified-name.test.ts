import { describe, expect, test } from "bun:test";
import { isCIdentifier } from "../../../src/resources/validation/c-identifier.ts";
import {
  isQualifiedName,
  isValidLabelValue,
} from "../../../src/resources/validation/qualified-name.ts";

const nameRegexError =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const prefixError =
  "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelValueError =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe("isQualifiedName", () => {
  const valid = [
    "simple",
    "now-with-dashes",
    "1-starts-with-num",
    "1234",
    "simple/simple",
    "now-with-dashes/simple",
    "now-with-dashes/now-with-dashes",
    "now.with.dots/now-with-dashes",
    "now-with.dashes-and.dots/now_with_underscores",
    "lower.case/Upper_Name",
    "a.b.c.d/1234",
    "x".repeat(63),
    `${"a".repeat(253)}/${"x".repeat(63)}`,
  ];
  for (const value of valid) {
    test(`accepts ${JSON.stringify(value).slice(0, 50)}`, () =>
      expect(isQualifiedName(value)).toEqual([]));
  }

  const invalid: [string, string[]][] = [
    ["", ["name part must be non-empty", `name part ${nameRegexError}`]],
    [
      "/",
      [
        "prefix part must be non-empty",
        "name part must be non-empty",
        `name part ${nameRegexError}`,
      ],
    ],
    ["/simple", ["prefix part must be non-empty"]],
    ["simple/", ["name part must be non-empty", `name part ${nameRegexError}`]],
    ["Bad_Prefix/name", [prefixError]],
    ["Upper.Case/name", [prefixError]],
    ["-dash", [`name part ${nameRegexError}`]],
    ["trailing.", [`name part ${nameRegexError}`]],
    ["spaces are bad", [`name part ${nameRegexError}`]],
    ["x".repeat(64), ["name part must be no more than 63 characters"]],
    [`${"a".repeat(254)}/x`, ["prefix part must be no more than 253 characters"]],
    [
      "a/b/c",
      [
        `a qualified name ${nameRegexError} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ],
    ],
  ];
  for (const [value, messages] of invalid) {
    test(`rejects ${JSON.stringify(value).slice(0, 50)}`, () =>
      expect(isQualifiedName(value)).toEqual(messages));
  }
});

describe("isValidLabelValue", () => {
  for (const value of ["", "simple", "now-with-dashes", "1234", "A_b.C-d", "x".repeat(63)]) {
    test(`accepts ${JSON.stringify(value)}`, () => expect(isValidLabelValue(value)).toEqual([]));
  }
  const invalid: [string, string[]][] = [
    ["-", [labelValueError]],
    ["a/b", [labelValueError]],
    ["nope!", [labelValueError]],
    ["x".repeat(64), ["must be no more than 63 characters"]],
    ["-".repeat(64), ["must be no more than 63 characters", labelValueError]],
    ["é".repeat(32), ["must be no more than 63 characters", labelValueError]],
  ];
  for (const [value, messages] of invalid) {
    test(`rejects ${JSON.stringify(value)}`, () =>
      expect(isValidLabelValue(value)).toEqual(messages));
  }
});

describe("isCIdentifier", () => {
  for (const value of ["a", "_", "MY_NAME", "MyName", "a1", "_1"]) {
    test(`accepts ${value}`, () => expect(isCIdentifier(value)).toEqual([]));
  }
  for (const value of ["", "1a", "a-b", "a.b", "a b"]) {
    test(`rejects ${JSON.stringify(value)}`, () =>
      expect(isCIdentifier(value)).toEqual([
        "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex used for validation is '[A-Za-z_][A-Za-z0-9_]*')",
      ]));
  }
});
