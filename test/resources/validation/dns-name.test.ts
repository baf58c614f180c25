import { describe, expect, test } from "bun:test";
import {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isWildcardDNS1123Subdomain,
} from "../../../src/resources/validation/dns-name.ts";

const labelError =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const subdomainError =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const dns1035Error =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

describe("isDNS1123Label", () => {
  for (const valid of [
    "a",
    "ab",
    "abc",
    "a1",
    "a-1",
    "a--1--2--b",
    "0",
    "01",
    "0-a",
    "a".repeat(63),
  ]) {
    test(`accepts ${JSON.stringify(valid)}`, () => expect(isDNS1123Label(valid)).toEqual([]));
  }
  const invalid: [string, string[]][] = [
    ["", [labelError]],
    ["A", [labelError]],
    ["-", [labelError]],
    ["a-", [labelError]],
    ["-a", [labelError]],
    ["a_b", [labelError]],
    ["a.b", ["must not contain dots"]],
    ["a".repeat(64), ["must be no more than 63 characters"]],
    [`${"a".repeat(63)}.b`, ["must be no more than 63 characters", "must not contain dots"]],
    ["é", [labelError]],
  ];
  for (const [value, messages] of invalid) {
    test(`rejects ${JSON.stringify(value)}`, () => expect(isDNS1123Label(value)).toEqual(messages));
  }
});

describe("isDNS1123Subdomain", () => {
  for (const valid of ["a", "a.b", "example.com", "a-1.b-2.c", "1.2.3.4", "a".repeat(253)]) {
    test(`accepts ${JSON.stringify(valid).slice(0, 40)}`, () =>
      expect(isDNS1123Subdomain(valid)).toEqual([]));
  }
  const invalid: [string, string[]][] = [
    ["", [subdomainError]],
    ["Foo", [subdomainError]],
    ["a..b", [subdomainError]],
    [".a", [subdomainError]],
    ["a.", [subdomainError]],
    ["a_b.c", [subdomainError]],
    ["a".repeat(254), ["must be no more than 253 characters"]],
    ["A".repeat(254), ["must be no more than 253 characters", subdomainError]],
  ];
  for (const [value, messages] of invalid) {
    test(`rejects ${JSON.stringify(value).slice(0, 40)}`, () =>
      expect(isDNS1123Subdomain(value)).toEqual(messages));
  }
});

describe("isDNS1035Label", () => {
  for (const valid of ["a", "ab", "a-1", "abc-123", "a".repeat(63)]) {
    test(`accepts ${JSON.stringify(valid)}`, () => expect(isDNS1035Label(valid)).toEqual([]));
  }
  const invalid: [string, string[]][] = [
    ["", [dns1035Error]],
    ["1a", [dns1035Error]],
    ["a.b", [dns1035Error]],
    ["a-", [dns1035Error]],
    ["a".repeat(64), ["must be no more than 63 characters"]],
  ];
  for (const [value, messages] of invalid) {
    test(`rejects ${JSON.stringify(value)}`, () => expect(isDNS1035Label(value)).toEqual(messages));
  }
});

describe("isWildcardDNS1123Subdomain", () => {
  test("accepts one leading wildcard label only", () => {
    expect(isWildcardDNS1123Subdomain("*.example.com")).toEqual([]);
    for (const value of ["*", "*.*.example.com", "example.com", "f*.example.com"]) {
      expect(isWildcardDNS1123Subdomain(value)).toEqual([
        "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ]);
    }
  });
});
