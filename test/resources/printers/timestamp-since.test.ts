import { describe, expect, test } from "bun:test";
import { parseTimestamp, timestampSince } from "../../../src/resources/printers/timestamp-since.ts";
import { now } from "./printer-fixtures.ts";

describe("parseTimestamp", () => {
  test("reads metav1.Time, MicroTime and offsets", () => {
    expect(parseTimestamp("2024-05-01T11:00:00Z")).toBe(Date.UTC(2024, 4, 1, 11));
    expect(parseTimestamp("2024-05-01T11:00:00.250000Z")).toBe(Date.UTC(2024, 4, 1, 11, 0, 0, 250));
    expect(parseTimestamp("2024-05-01T13:00:00+02:00")).toBe(Date.UTC(2024, 4, 1, 11));
  });

  test("treats missing, malformed and Go's zero time as no timestamp", () => {
    for (const value of [
      undefined,
      null,
      "",
      "yesterday",
      "2024-05-01",
      17,
      "0001-01-01T00:00:00Z",
    ]) {
      expect(parseTimestamp(value)).toBeUndefined();
    }
  });
});

describe("timestampSince", () => {
  test("prints the age from now", () => {
    expect(timestampSince("2024-05-01T11:56:48Z", now)).toBe("3m12s");
    expect(timestampSince(now.getTime() - 4 * 3600_000, now)).toBe("4h");
  });

  test('prints "<unknown>" without a timestamp', () => {
    expect(timestampSince(null, now)).toBe("<unknown>");
    expect(timestampSince(undefined, now)).toBe("<unknown>");
  });
});
