import { describe, expect, test } from "bun:test";
import { humanDuration } from "../../../src/resources/printers/human-duration.ts";
import { days, hours, minutes } from "./printer-fixtures.ts";

const seconds = (n: number) => n * 1000;

describe("humanDuration", () => {
  // Each pair straddles a boundary where upstream's HumanDuration changes its form.
  const cases: [milliseconds: number, printed: string][] = [
    [seconds(-2), "<invalid>"],
    [seconds(-1.999), "0s"],
    [seconds(-1), "0s"],
    [0, "0s"],
    [seconds(0.999), "0s"],
    [seconds(5), "5s"],
    [seconds(119.9), "119s"],
    [seconds(120), "2m"],
    [seconds(121), "2m1s"],
    [minutes(3) + seconds(12), "3m12s"],
    [minutes(9) + seconds(59), "9m59s"],
    [minutes(10), "10m"],
    [minutes(10) + seconds(59), "10m"],
    [minutes(179), "179m"],
    [minutes(180), "3h"],
    [minutes(181), "3h1m"],
    [hours(4), "4h"],
    [hours(7) + minutes(59), "7h59m"],
    [hours(8), "8h"],
    [hours(47) + minutes(59), "47h"],
    [hours(48), "2d"],
    [days(2) + hours(3), "2d3h"],
    [days(7) + hours(23), "7d23h"],
    [days(8), "8d"],
    [days(45), "45d"],
    [days(729) + hours(23), "729d"],
    [days(730), "2y"],
    [days(731), "2y1d"],
    [days(365 * 3), "3y"],
    [days(365 * 8) - hours(1), "7y364d"],
    [days(365 * 8), "8y"],
    [days(365 * 20 + 100), "20y"],
  ];
  for (const [milliseconds, printed] of cases) {
    test(`${milliseconds} ms prints as ${printed}`, () => {
      expect(humanDuration(milliseconds)).toBe(printed);
    });
  }
});
