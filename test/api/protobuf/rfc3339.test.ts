import { describe, expect, test } from "bun:test";
import { formatRfc3339, parseRfc3339 } from "../../../src/api/protobuf/rfc3339.ts";

describe("rfc3339", () => {
  test("formats Time in whole seconds and MicroTime with six digits, in UTC", () => {
    const ts = { seconds: 1_704_164_645, nanos: 123_456_789 };
    expect(formatRfc3339(ts, false)).toBe("2024-01-02T03:04:05Z");
    expect(formatRfc3339(ts, true)).toBe("2024-01-02T03:04:05.123456Z");
    expect(formatRfc3339({ seconds: 0, nanos: 0 }, true)).toBe("1970-01-01T00:00:00.000000Z");
  });

  test("parses offsets and fractions", () => {
    expect(parseRfc3339("2024-01-02T03:04:05Z")).toEqual({ seconds: 1_704_164_645, nanos: 0 });
    expect(parseRfc3339("2024-01-02T05:04:05.5+02:00")).toEqual({
      seconds: 1_704_164_645,
      nanos: 500_000_000,
    });
    expect(parseRfc3339("0001-01-01T00:00:00Z")).toEqual({ seconds: -62_135_596_800, nanos: 0 });
    expect(parseRfc3339("2024-01-02 03:04:05")).toBeUndefined();
  });
});
