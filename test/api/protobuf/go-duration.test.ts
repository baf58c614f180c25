import { describe, expect, test } from "bun:test";
import { formatGoDuration, parseGoDuration } from "../../../src/api/protobuf/go-duration.ts";

describe("formatGoDuration", () => {
  test("prints like Go's Duration.String", () => {
    expect(formatGoDuration(0n)).toBe("0s");
    expect(formatGoDuration(1n)).toBe("1ns");
    expect(formatGoDuration(1_500n)).toBe("1.5µs");
    expect(formatGoDuration(300_000_000n)).toBe("300ms");
    expect(formatGoDuration(1_500_000_000n)).toBe("1.5s");
    expect(formatGoDuration(90_000_000_000n)).toBe("1m30s");
    expect(formatGoDuration(3_600_000_000_000n)).toBe("1h0m0s");
    expect(formatGoDuration(-5_000_000_000n)).toBe("-5s");
    expect(formatGoDuration(2n ** 63n - 1n)).toBe("2562047h47m16.854775807s");
  });
});

describe("parseGoDuration", () => {
  test("parses like time.ParseDuration", () => {
    expect(parseGoDuration("0")).toBe(0n);
    expect(parseGoDuration("1h0m0s")).toBe(3_600_000_000_000n);
    expect(parseGoDuration("1.5s")).toBe(1_500_000_000n);
    expect(parseGoDuration("2h45m")).toBe(9_900_000_000_000n);
    expect(parseGoDuration("-1.5h")).toBe(-5_400_000_000_000n);
    expect(parseGoDuration("100us")).toBe(100_000n);
    expect(parseGoDuration("100µs")).toBe(100_000n);
  });

  test("rejects what is not a duration", () => {
    expect(parseGoDuration("")).toBeUndefined();
    expect(parseGoDuration("5")).toBeUndefined();
    expect(parseGoDuration("1d")).toBeUndefined();
    expect(parseGoDuration("h")).toBeUndefined();
  });
});
