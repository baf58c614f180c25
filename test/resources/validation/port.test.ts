import { describe, expect, test } from "bun:test";
import {
  isInRange,
  isValidPortName,
  isValidPortNum,
} from "../../../src/resources/validation/port.ts";

describe("isValidPortNum", () => {
  for (const port of [1, 80, 8080, 65535]) {
    test(`accepts ${port}`, () => expect(isValidPortNum(port)).toEqual([]));
  }
  for (const port of [0, -1, 65536, 1.5, Number.NaN]) {
    test(`rejects ${port}`, () =>
      expect(isValidPortNum(port)).toEqual(["must be between 1 and 65535, inclusive"]));
  }
  test("isInRange names its bounds", () => {
    expect(isInRange(5, 0, 4)).toEqual(["must be between 0 and 4, inclusive"]);
    expect(isInRange(4, 0, 4)).toEqual([]);
  });
});

describe("isValidPortName", () => {
  for (const name of ["http", "h", "a-b", "dns-tcp", "123-a", "a".repeat(15)]) {
    test(`accepts ${name}`, () => expect(isValidPortName(name)).toEqual([]));
  }
  const invalid: [string, string[]][] = [
    [
      "",
      [
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        "must contain at least one letter (a-z)",
      ],
    ],
    ["a".repeat(16), ["must be no more than 15 characters"]],
    [
      "HTTP",
      [
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        "must contain at least one letter (a-z)",
      ],
    ],
    ["1234", ["must contain at least one letter (a-z)"]],
    ["a--b", ["must not contain consecutive hyphens"]],
    ["-ab", ["must not begin or end with a hyphen"]],
    ["ab-", ["must not begin or end with a hyphen"]],
    ["a_b", ["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"]],
  ];
  for (const [name, messages] of invalid) {
    test(`rejects ${JSON.stringify(name)}`, () => expect(isValidPortName(name)).toEqual(messages));
  }
});
