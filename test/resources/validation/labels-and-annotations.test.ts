import { describe, expect, test } from "bun:test";
import { fieldErrorMessage } from "../../../src/resources/validation/field-error.ts";
import { fieldPath } from "../../../src/resources/validation/field-path.ts";
import {
  annotationsSize,
  TOTAL_ANNOTATION_SIZE_LIMIT_BYTES,
  validateAnnotations,
  validateLabels,
} from "../../../src/resources/validation/labels-and-annotations.ts";

const labelsPath = fieldPath("metadata", "labels");
const annotationsPath = fieldPath("metadata", "annotations");
const nameRegexError =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

describe("validateLabels", () => {
  test("accepts valid keys and values, including empty values", () => {
    expect(
      validateLabels({ app: "web", "example.com/tier": "", "a.b/C_d": "X.y-z" }, labelsPath),
    ).toEqual([]);
    expect(validateLabels(undefined, labelsPath)).toEqual([]);
  });

  test("reports bad keys and values at the map's path", () => {
    expect(
      validateLabels({ "-app": "ok", ok: "bad value" }, labelsPath).map(fieldErrorMessage),
    ).toEqual([
      `metadata.labels: Invalid value: "-app": ${nameRegexError}`,
      "metadata.labels: Invalid value: \"bad value\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ]);
  });
});

describe("validateAnnotations", () => {
  test("compares keys case-insensitively, so upper-case prefixes pass", () => {
    expect(
      validateAnnotations({ "Example.COM/Key": "anything at all, even spaces" }, annotationsPath),
    ).toEqual([]);
  });

  test("reports bad keys with the key as written", () => {
    expect(validateAnnotations({ "Bad Key": "v" }, annotationsPath).map(fieldErrorMessage)).toEqual(
      [`metadata.annotations: Invalid value: "Bad Key": ${nameRegexError}`],
    );
  });

  test("limits keys plus values to 256 KiB in UTF-8", () => {
    const fits = { a: "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_BYTES - 1) };
    expect(annotationsSize(fits)).toBe(262144);
    expect(validateAnnotations(fits, annotationsPath)).toEqual([]);
    const over = { a: "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) };
    expect(validateAnnotations(over, annotationsPath).map(fieldErrorMessage)).toEqual([
      "metadata.annotations: Too long: may not be more than 262144 bytes",
    ]);
    // Two bytes per character in UTF-8: half as many characters already exceed the limit.
    const wide = { a: "é".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_BYTES / 2) };
    expect(validateAnnotations(wide, annotationsPath)).toHaveLength(1);
  });
});
