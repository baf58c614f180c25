import { describe, expect, test } from "bun:test";
import { fieldErrorMessage } from "../../../src/resources/validation/field-error.ts";
import { fieldPath } from "../../../src/resources/validation/field-path.ts";
import {
  formatIP,
  isValidCIDR,
  isValidCIDRForLegacyField,
  isValidInterfaceAddress,
  isValidIP,
  isValidIPForLegacyField,
  parseIPSloppy,
} from "../../../src/resources/validation/ip-address.ts";

const path = fieldPath("spec", "clusterIP");
const badIP = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
const badCIDR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";
const details = (errors: { detail: string }[]) => errors.map((error) => error.detail);

// [input, strict error, legacy error (strict: false), legacy error (strict: true)]
type Row = [string, string | undefined, string | undefined, string | undefined];

describe("isValidIP", () => {
  const table: Row[] = [
    ["1.2.3.4", undefined, undefined, undefined],
    ["0.0.0.0", undefined, undefined, undefined],
    ["255.255.255.255", undefined, undefined, undefined],
    ["1234::abcd", undefined, undefined, undefined],
    ["::", undefined, undefined, undefined],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", undefined, undefined, undefined],
    ["0:0:0:0:0:0:0:0", 'must be in canonical form ("::")', undefined, undefined],
    ["0001:002:03:4::", 'must be in canonical form ("1:2:3:4::")', undefined, undefined],
    ["1234::ABCD", 'must be in canonical form ("1234::abcd")', undefined, undefined],
    ["1.1.1.01", "must not have leading 0s", undefined, "must not have leading 0s"],
    [
      "::ffff:1.1.1.1",
      "must not be an IPv4-mapped IPv6 address",
      undefined,
      "must not be an IPv4-mapped IPv6 address",
    ],
    ["::ffff:01.1.1.1", "must not have leading 0s", undefined, "must not have leading 0s"],
    ["00001::", "must not have leading 0s", undefined, "must not have leading 0s"],
    ["", badIP, badIP, badIP],
    ["aaaaaaa", badIP, badIP, badIP],
    ["myhost.mydomain", badIP, badIP, badIP],
    ["1.2.3.0/24", badIP, badIP, badIP],
    ["1.2.3.400", badIP, badIP, badIP],
    ["-1.0.0.0", badIP, badIP, badIP],
    ["2001:db8::10005", badIP, badIP, badIP],
    ["1.2.3.4:80", badIP, badIP, badIP],
    ["[2001:db8::1]", badIP, badIP, badIP],
    ["[2001:db8::1]:80", badIP, badIP, badIP],
    ["example.com:80", badIP, badIP, badIP],
    ["1234::abcd%eth0", badIP, badIP, badIP],
    ["169.254.0.0%eth0", badIP, badIP, badIP],
    ["1::2::3", badIP, badIP, badIP],
    ["1:2:3:4:5:6:7:8:9", badIP, badIP, badIP],
    ["1:2:3:4:5:6:7::8", badIP, badIP, badIP],
    ["1:", badIP, badIP, badIP],
    ["1.2.3", badIP, badIP, badIP],
  ];
  for (const [input, strict, legacy, legacyStrict] of table) {
    test(`${JSON.stringify(input)}: ${strict ?? "valid"}`, () => {
      expect(details(isValidIP(path, input))).toEqual(strict === undefined ? [] : [strict]);
      expect(details(isValidIPForLegacyField(path, input, { strict: false }))).toEqual(
        legacy === undefined ? [] : [legacy],
      );
      expect(details(isValidIPForLegacyField(path, input))).toEqual(
        legacyStrict === undefined ? [] : [legacyStrict],
      );
    });
  }

  test("errors name the field and quote the value", () => {
    expect(isValidIP(path, "1.1.1.01").map(fieldErrorMessage)).toEqual([
      'spec.clusterIP: Invalid value: "1.1.1.01": must not have leading 0s',
    ]);
  });

  test("legacy fields accept values the old object already had", () => {
    expect(isValidIPForLegacyField(path, "1.1.1.01", { validOldValues: ["1.1.1.01"] })).toEqual([]);
  });
});

describe("isValidCIDR", () => {
  const table: Row[] = [
    ["1.0.0.0/8", undefined, undefined, undefined],
    ["0.0.0.0/0", undefined, undefined, undefined],
    ["1.1.1.1/32", undefined, undefined, undefined],
    ["2001:4860:4860::/48", undefined, undefined, undefined],
    ["::/0", undefined, undefined, undefined],
    ["::1/128", undefined, undefined, undefined],
    ["2a00:79e0:2:0::/64", 'must be in canonical form ("2a00:79e0:2::/64")', undefined, undefined],
    ["2001:DB8::/64", 'must be in canonical form ("2001:db8::/64")', undefined, undefined],
    [
      "1.1.01.0/24",
      "must not have leading 0s in IP or prefix length",
      undefined,
      "must not have leading 0s in IP or prefix length",
    ],
    [
      "::ffff:1.1.1.0/24",
      "must not have an IPv4-mapped IPv6 address",
      undefined,
      "must not have an IPv4-mapped IPv6 address",
    ],
    [
      "::ffff:1.1.1.0/120",
      "must not have an IPv4-mapped IPv6 address",
      undefined,
      "must not have an IPv4-mapped IPv6 address",
    ],
    [
      "1.2.3.4/24",
      "must not have bits set beyond the prefix length",
      undefined,
      "must not have bits set beyond the prefix length",
    ],
    [
      "2001:db8::1/64",
      "must not have bits set beyond the prefix length",
      undefined,
      "must not have bits set beyond the prefix length",
    ],
    [
      "192.168.0.0/016",
      "must not have leading 0s in IP or prefix length",
      undefined,
      "must not have leading 0s in IP or prefix length",
    ],
    ["", badCIDR, badCIDR, badCIDR],
    ["aaaaaaa", badCIDR, badCIDR, badCIDR],
    ["1.2.3.4", badCIDR, badCIDR, badCIDR],
    ["192.168.0.1/healthz", badCIDR, badCIDR, badCIDR],
    ["192.168.0.1/0/99", badCIDR, badCIDR, badCIDR],
    ["192.168.0.0/-16", badCIDR, badCIDR, badCIDR],
    ["192.168.0.0/+16", badCIDR, badCIDR, badCIDR],
    ["192.168.0.0/33", badCIDR, badCIDR, badCIDR],
    ["::/129", badCIDR, badCIDR, badCIDR],
    ["10.0.0.0/", badCIDR, badCIDR, badCIDR],
  ];
  for (const [input, strict, legacy, legacyStrict] of table) {
    test(`${JSON.stringify(input)}: ${strict ?? "valid"}`, () => {
      expect(details(isValidCIDR(path, input))).toEqual(strict === undefined ? [] : [strict]);
      expect(details(isValidCIDRForLegacyField(path, input, { strict: false }))).toEqual(
        legacy === undefined ? [] : [legacy],
      );
      expect(details(isValidCIDRForLegacyField(path, input))).toEqual(
        legacyStrict === undefined ? [] : [legacyStrict],
      );
    });
  }
});

describe("isValidInterfaceAddress", () => {
  const badIfAddr = "must be a valid address in CIDR form, (e.g. 10.9.8.7/24 or 2001:db8::1/64)";
  const table: [string, string | undefined][] = [
    ["1.2.3.4/24", undefined],
    ["1.1.1.1/32", undefined],
    ["2001:4860:4860::1/48", undefined],
    ["::1/128", undefined],
    ["", badIfAddr],
    ["1.2.3.4", badIfAddr],
    ["192.168.0.1/0/99", badIfAddr],
    ["2001:0:0:0::0BCD/64", 'must be in canonical form ("2001::bcd/64")'],
    ["1.1.01.002/24", 'must be in canonical form ("1.1.1.2/24")'],
    ["::ffff:1.1.1.1/24", 'must be in canonical form ("1.1.1.1/24")'],
    ["::ffff:1.1.1.1/120", 'must be in canonical form ("1.1.1.1/24")'],
    ["192.168.0.5/016", 'must be in canonical form ("192.168.0.5/16")'],
  ];
  for (const [input, error] of table) {
    test(`${JSON.stringify(input)}: ${error ?? "valid"}`, () => {
      expect(details(isValidInterfaceAddress(path, input))).toEqual(
        error === undefined ? [] : [error],
      );
    });
  }
});

describe("formatIP", () => {
  const table: [string, string][] = [
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["::1.2.3.4", "::102:304"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["010.001.002.003", "10.1.2.3"],
  ];
  for (const [input, formatted] of table) {
    test(`${input} formats as ${formatted}`, () => {
      const ip = parseIPSloppy(input);
      expect(ip).toBeDefined();
      expect(formatIP((ip as NonNullable<typeof ip>).bytes)).toBe(formatted);
    });
  }
});
