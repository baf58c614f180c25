import { describe, expect, test } from "bun:test";
import {
  aggregateFieldErrors,
  duplicate,
  type FieldError,
  fieldErrorBody,
  fieldErrorMessage,
  forbidden,
  internalError,
  invalid,
  notFound,
  notSupported,
  required,
  tooLong,
  tooMany,
  toStatusCause,
  typeInvalid,
} from "../../../src/resources/validation/field-error.ts";
import { fieldPath } from "../../../src/resources/validation/field-path.ts";
import { goQuote } from "../../../src/resources/validation/go-quote.ts";

const name = fieldPath("metadata", "name");

describe("field error messages", () => {
  const table: [FieldError, string, string][] = [
    [
      invalid(name, "Foo", "a lowercase RFC 1123 subdomain must consist of …"),
      "FieldValueInvalid",
      'metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain must consist of …',
    ],
    [
      required(fieldPath("spec", "containers").index(0).child("name")),
      "FieldValueRequired",
      "spec.containers[0].name: Required value",
    ],
    [
      required(name, "name or generateName is required"),
      "FieldValueRequired",
      "metadata.name: Required value: name or generateName is required",
    ],
    [
      notSupported(fieldPath("spec", "type"), "Foo", [
        "ClusterIP",
        "ExternalName",
        "LoadBalancer",
        "NodePort",
      ]),
      "FieldValueNotSupported",
      'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ],
    [
      notSupported(fieldPath("spec", "type"), "Foo", []),
      "FieldValueNotSupported",
      'spec.type: Unsupported value: "Foo"',
    ],
    [
      duplicate(fieldPath("spec", "ports").index(1).child("port"), 80),
      "FieldValueDuplicate",
      "spec.ports[1].port: Duplicate value: 80",
    ],
    [
      duplicate(fieldPath("spec", "ports").index(1), { port: 80, protocol: "TCP" }),
      "FieldValueDuplicate",
      'spec.ports[1]: Duplicate value: {"port":80,"protocol":"TCP"}',
    ],
    [
      notFound(fieldPath("spec", "volume"), "data"),
      "FieldValueNotFound",
      'spec.volume: Not found: "data"',
    ],
    [
      forbidden(fieldPath("metadata", "namespace"), "not allowed on this type"),
      "FieldValueForbidden",
      "metadata.namespace: Forbidden: not allowed on this type",
    ],
    [
      tooLong(fieldPath("metadata", "annotations"), 262144),
      "FieldValueTooLong",
      "metadata.annotations: Too long: may not be more than 262144 bytes",
    ],
    [tooLong(name, -1), "FieldValueTooLong", "metadata.name: Too long: value is too long"],
    [
      tooMany(fieldPath("spec", "items"), 5, 4),
      "FieldValueTooMany",
      "spec.items: Too many: 5: must have at most 4 items",
    ],
    [
      tooMany(fieldPath("spec", "items"), -1, -1),
      "FieldValueTooMany",
      "spec.items: Too many: has too many items",
    ],
    [
      typeInvalid(fieldPath("spec", "replicas"), "three", "must be of type integer"),
      "FieldValueTypeInvalid",
      'spec.replicas: Invalid value: "three": must be of type integer',
    ],
    [
      internalError(name, new Error("boom")),
      "InternalError",
      "metadata.name: Internal error: boom",
    ],
    [invalid(name, null, "x"), "FieldValueInvalid", "metadata.name: Invalid value: null: x"],
    [invalid(name, true, "x"), "FieldValueInvalid", "metadata.name: Invalid value: true: x"],
    [invalid(name, 1.5, "x"), "FieldValueInvalid", "metadata.name: Invalid value: 1.5: x"],
    [
      invalid(name, ["a", "b"], "x"),
      "FieldValueInvalid",
      'metadata.name: Invalid value: ["a","b"]: x',
    ],
    [invalid(undefined, "v", "x"), "FieldValueInvalid", '<nil>: Invalid value: "v": x'],
  ];
  for (const [error, type, message] of table) {
    test(message, () => {
      expect(error.type).toBe(type as FieldError["type"]);
      expect(fieldErrorMessage(error)).toBe(message);
    });
  }

  test("the body leaves the field out and becomes the status cause", () => {
    const error = invalid(name, "Foo", "bad");
    expect(fieldErrorBody(error)).toBe('Invalid value: "Foo": bad');
    expect(toStatusCause(error)).toEqual({
      reason: "FieldValueInvalid",
      message: 'Invalid value: "Foo": bad',
      field: "metadata.name",
    });
  });
});

describe("aggregateFieldErrors", () => {
  test("one error is itself, several are bracketed, duplicates are dropped", () => {
    const a = required(name);
    const b = forbidden(fieldPath("metadata", "namespace"), "not allowed on this type");
    expect(aggregateFieldErrors([])).toBe("");
    expect(aggregateFieldErrors([a])).toBe("metadata.name: Required value");
    expect(aggregateFieldErrors([a, a])).toBe("metadata.name: Required value");
    expect(aggregateFieldErrors([a, b, a])).toBe(
      "[metadata.name: Required value, metadata.namespace: Forbidden: not allowed on this type]",
    );
  });
});

describe("goQuote", () => {
  const table: [string, string][] = [
    ["Foo", '"Foo"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["back\\slash", '"back\\\\slash"'],
    ["tab\tnew\nline\r", '"tab\\tnew\\nline\\r"'],
    ["\x01\x7f", '"\\x01\\x7f"'],
    ["\u00a0", '"\\u00a0"'],
    ["\u200b", '"\\u200b"'],
    ["héllo ✓ 日本", '"héllo ✓ 日本"'],
    ["😀", '"😀"'],
    ["\u{e0001}", '"\\U000e0001"'],
  ];
  for (const [input, quoted] of table) {
    test(`quotes ${JSON.stringify(input)} as Go does`, () => {
      expect(goQuote(input)).toBe(quoted);
    });
  }
});
