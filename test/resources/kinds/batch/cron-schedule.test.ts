import { describe, expect, test } from "bun:test";
import {
  parseCronSchedule,
  parseGoDuration,
} from "../../../../src/resources/kinds/batch/cron-schedule.ts";

function bits(...values: number[]): bigint {
  return values.reduce((acc, value) => acc | (1n << BigInt(value)), 0n);
}

describe("parseCronSchedule", () => {
  test("reads steps, ranges, lists and names into bit sets", () => {
    const result = parseCronSchedule("*/15 9-17 1,15 jan-MAR mon-fri");
    expect(result).toEqual({
      schedule: {
        kind: "fields",
        minute: bits(0, 15, 30, 45),
        hour: bits(9, 10, 11, 12, 13, 14, 15, 16, 17),
        dayOfMonth: bits(1, 15),
        month: bits(1, 2, 3),
        dayOfWeek: bits(1, 2, 3, 4, 5),
        dayOfMonthStar: false,
        dayOfWeekStar: false,
      },
    });
  });

  test("expands descriptors", () => {
    const result = parseCronSchedule("@weekly");
    expect(result).toMatchObject({
      schedule: { minute: bits(0), hour: bits(0), dayOfWeek: bits(0), dayOfMonthStar: true },
    });
    expect(parseCronSchedule("@every 1h30m")).toEqual({
      schedule: { kind: "every", seconds: 5400 },
    });
  });

  test("N/step runs from N to the end of the range", () => {
    expect(parseCronSchedule("50/5 * * * *")).toMatchObject({
      schedule: { minute: bits(50, 55) },
    });
  });

  const invalid: [string, string][] = [
    ["* * * *", "expected exactly 5 fields, found 4: [* * * *]"],
    ["* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"],
    ["61 * * * *", "end of range (61) above maximum (59): 61"],
    ["* * 0 * *", "beginning of range (0) below minimum (1): 0"],
    ["5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"],
    ["*/0 * * * *", "step of range should be a positive number: */0"],
    ["1-2-3 * * * *", "too many hyphens: 1-2-3"],
    ["*/2/3 * * * *", "too many slashes: */2/3"],
    ["x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ["* * * * 7", "end of range (7) above maximum (6): 7"],
    ["@fortnightly", "unrecognized descriptor: @fortnightly"],
    ["@every 1x", 'failed to parse duration @every 1x: time: unknown unit "x" in duration "1x"'],
    ["@every 10", 'failed to parse duration @every 10: time: missing unit in duration "10"'],
    [
      "TZ=Mars/Olympus * * * * *",
      "provided bad location Mars/Olympus: unknown time zone Mars/Olympus",
    ],
  ];
  for (const [schedule, message] of invalid) {
    test(`rejects ${JSON.stringify(schedule)} with robfig's message`, () => {
      expect(parseCronSchedule(schedule)).toEqual({ error: message });
    });
  }

  test("accepts a known zone prefix", () => {
    expect(parseCronSchedule("CRON_TZ=Europe/Berlin 0 3 * * *")).toMatchObject({
      schedule: { timeZone: "Europe/Berlin", hour: bits(3) },
    });
  });
});

describe("parseGoDuration", () => {
  const valid: [string, number][] = [
    ["0", 0],
    ["1.5h", 5400e9],
    ["-2m3s", -123e9],
    ["300ms", 300e6],
    ["1µs", 1e3],
  ];
  for (const [text, nanoseconds] of valid) {
    test(`reads ${text}`, () => {
      expect(parseGoDuration(text)).toEqual({ nanoseconds });
    });
  }

  test("rejects what Go rejects", () => {
    expect(parseGoDuration("")).toEqual({ error: 'time: invalid duration ""' });
    expect(parseGoDuration(".s")).toEqual({ error: 'time: invalid duration ".s"' });
    expect(parseGoDuration("h")).toEqual({ error: 'time: invalid duration "h"' });
  });
});
