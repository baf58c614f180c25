/**
 * CronJob schedules in the syntax upstream accepts: github.com/robfig/cron/v3's
 * `ParseStandard`, i.e. five fields (minute hour day-of-month month day-of-week) with
 * `*`, `?`, ranges, steps, lists and month/day names, or a descriptor (`@hourly`,
 * `@daily`, `@every 1h30m`, …), optionally after `TZ=` / `CRON_TZ=`.
 *
 * The error texts are robfig's, because the API returns them verbatim as the detail of
 * `spec.schedule: Invalid value` and users search for them.
 */
import { goQuote } from "../../validation/go-quote.ts";

/** The parsed schedule: a bit per allowed value of each field, or a fixed interval. */
export type CronSchedule =
  | {
      kind: "fields";
      /** Bits 0–59. */
      minute: bigint;
      /** Bits 0–23. */
      hour: bigint;
      /** Bits 1–31. */
      dayOfMonth: bigint;
      /** Bits 1–12. */
      month: bigint;
      /** Bits 0–6, Sunday = 0. */
      dayOfWeek: bigint;
      /** The day-of-month or day-of-week field was `*` or `?` (cron's rule for combining them). */
      dayOfMonthStar: boolean;
      dayOfWeekStar: boolean;
      /** The zone named by a `TZ=`/`CRON_TZ=` prefix. */
      timeZone?: string;
    }
  | { kind: "every"; seconds: number; timeZone?: string };

export type CronParseResult = { schedule: CronSchedule } | { error: string };

interface Bounds {
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}

const minutes: Bounds = { min: 0, max: 59 };
const hours: Bounds = { min: 0, max: 23 };
const daysOfMonth: Bounds = { min: 1, max: 31 };
const months: Bounds = {
  min: 1,
  max: 12,
  names: {
    jan: 1,
    feb: 2,
    mar: 3,
    apr: 4,
    may: 5,
    jun: 6,
    jul: 7,
    aug: 8,
    sep: 9,
    oct: 10,
    nov: 11,
    dec: 12,
  },
};
const daysOfWeek: Bounds = {
  min: 0,
  max: 6,
  names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 },
};

/** Descriptors as field values: minute, hour, day of month, month, day of week. */
const descriptors: Readonly<Record<string, readonly [string, string, string, string, string]>> = {
  "@yearly": ["0", "0", "1", "1", "*"],
  "@annually": ["0", "0", "1", "1", "*"],
  "@monthly": ["0", "0", "1", "*", "*"],
  "@weekly": ["0", "0", "*", "*", "0"],
  "@daily": ["0", "0", "*", "*", "*"],
  "@midnight": ["0", "0", "*", "*", "*"],
  "@hourly": ["0", "*", "*", "*", "*"],
};

class CronSyntaxError extends Error {}

/** Parses a schedule; never throws. */
export function parseCronSchedule(spec: string): CronParseResult {
  try {
    return { schedule: parse(spec) };
  } catch (error) {
    if (error instanceof CronSyntaxError) return { error: error.message };
    throw error;
  }
}

function parse(input: string): CronSchedule {
  if (input.length === 0) throw new CronSyntaxError("empty spec string");
  let spec = input;
  let timeZone: string | undefined;
  if (spec.startsWith("TZ=") || spec.startsWith("CRON_TZ=")) {
    const space = spec.indexOf(" ");
    const equals = spec.indexOf("=");
    // robfig slices up to the first space; without one it would panic, so say which
    // location could not be read instead.
    const name = space < 0 ? spec.slice(equals + 1) : spec.slice(equals + 1, space);
    const problem = space < 0 ? `unknown time zone ${name}` : timeZoneProblem(name);
    if (problem !== undefined)
      throw new CronSyntaxError(`provided bad location ${name}: ${problem}`);
    timeZone = name;
    spec = spec.slice(space).trim();
  }
  if (spec.startsWith("@")) return parseDescriptor(spec, timeZone);
  const fields = spec.split(/\s+/).filter((field) => field.length > 0);
  if (fields.length !== 5) {
    throw new CronSyntaxError(
      `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`,
    );
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [
    string,
    string,
    string,
    string,
    string,
  ];
  return fieldsSchedule([minute, hour, dayOfMonth, month, dayOfWeek], timeZone);
}

function fieldsSchedule(
  fields: readonly [string, string, string, string, string],
  timeZone: string | undefined,
): CronSchedule {
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields;
  const schedule: CronSchedule = {
    kind: "fields",
    minute: getField(minute, minutes).bits,
    hour: getField(hour, hours).bits,
    dayOfMonth: 0n,
    month: getField(month, months).bits,
    dayOfWeek: 0n,
    dayOfMonthStar: false,
    dayOfWeekStar: false,
  };
  const dom = getField(dayOfMonth, daysOfMonth);
  const dow = getField(dayOfWeek, daysOfWeek);
  schedule.dayOfMonth = dom.bits;
  schedule.dayOfWeek = dow.bits;
  schedule.dayOfMonthStar = dom.star;
  schedule.dayOfWeekStar = dow.star;
  if (timeZone !== undefined) schedule.timeZone = timeZone;
  return schedule;
}

function parseDescriptor(descriptor: string, timeZone: string | undefined): CronSchedule {
  const fields = descriptors[descriptor];
  if (fields !== undefined) return fieldsSchedule(fields, timeZone);
  const every = "@every ";
  if (descriptor.startsWith(every)) {
    const text = descriptor.slice(every.length);
    const parsed = parseGoDuration(text);
    if ("error" in parsed) {
      throw new CronSyntaxError(`failed to parse duration ${descriptor}: ${parsed.error}`);
    }
    // robfig rounds intervals below one second up to one second.
    const seconds = Math.max(1, Math.floor(parsed.nanoseconds / 1e9));
    return timeZone === undefined
      ? { kind: "every", seconds }
      : { kind: "every", seconds, timeZone };
  }
  throw new CronSyntaxError(`unrecognized descriptor: ${descriptor}`);
}

/** A comma-separated list of ranges; `star` when a term was `*` or `?` without a step. */
function getField(field: string, bounds: Bounds): { bits: bigint; star: boolean } {
  let bits = 0n;
  let star = false;
  for (const expression of field.split(",").filter((part) => part.length > 0)) {
    const range = getRange(expression, bounds);
    bits |= range.bits;
    star ||= range.star;
  }
  return { bits, star };
}

function getRange(expression: string, bounds: Bounds): { bits: bigint; star: boolean } {
  const rangeAndStep = expression.split("/");
  const lowAndHigh = (rangeAndStep[0] as string).split("-");
  const singleValue = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = bounds.min;
    end = bounds.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0] as string, bounds.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1] as string, bounds.names);
    else throw new CronSyntaxError(`too many hyphens: ${expression}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1] as string);
    // "N/step" means "N-max/step".
    if (singleValue) end = bounds.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronSyntaxError(`too many slashes: ${expression}`);
  }
  if (start < bounds.min) {
    throw new CronSyntaxError(
      `beginning of range (${start}) below minimum (${bounds.min}): ${expression}`,
    );
  }
  if (end > bounds.max) {
    throw new CronSyntaxError(`end of range (${end}) above maximum (${bounds.max}): ${expression}`);
  }
  if (start > end) {
    throw new CronSyntaxError(
      `beginning of range (${start}) beyond end of range (${end}): ${expression}`,
    );
  }
  if (step === 0) {
    throw new CronSyntaxError(`step of range should be a positive number: ${expression}`);
  }
  let bits = 0n;
  for (let value = start; value <= end; value += step) bits |= 1n << BigInt(value);
  return { bits, star };
}

function parseIntOrName(expression: string, names: Bounds["names"]): number {
  const named = names?.[expression.toLowerCase()];
  return named ?? mustParseInt(expression);
}

const int64Max = 2n ** 63n - 1n;

function mustParseInt(expression: string): number {
  if (!/^[+-]?[0-9]+$/.test(expression)) {
    throw new CronSyntaxError(
      `failed to parse int from ${expression}: strconv.Atoi: parsing ${goQuote(expression)}: invalid syntax`,
    );
  }
  const big = BigInt(expression);
  if (big > int64Max || big < -int64Max - 1n) {
    throw new CronSyntaxError(
      `failed to parse int from ${expression}: strconv.Atoi: parsing ${goQuote(expression)}: value out of range`,
    );
  }
  if (big < 0n) throw new CronSyntaxError(`negative number (${big}) not allowed: ${expression}`);
  // Anything past the bounds is reported by the range checks; clamp to stay a safe number.
  return big > 1_000_000n ? 1_000_000 : Number(big);
}

/** Why `name` is not a time zone Go's time.LoadLocation would load, or undefined. */
export function timeZoneProblem(name: string): string | undefined {
  if (name === "" || name === "UTC" || name === "Local") return undefined;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return undefined;
  } catch {
    return `unknown time zone ${name}`;
  }
}

const durationUnits: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, with its error texts. */
export function parseGoDuration(text: string): { nanoseconds: number } | { error: string } {
  const quoted = goQuote(text);
  const invalidDuration = { error: `time: invalid duration ${quoted}` };
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return { nanoseconds: 0 };
  if (rest === "") return invalidDuration;
  let total = 0;
  while (rest !== "") {
    const number = /^([0-9]*)(\.([0-9]*))?/.exec(rest) as RegExpExecArray;
    const whole = number[1] ?? "";
    const fraction = number[3];
    if (whole === "" && (fraction === undefined || fraction === "")) return invalidDuration;
    rest = rest.slice(number[0].length);
    const unitMatch = /^[^0-9.]*/.exec(rest) as RegExpExecArray;
    const unit = unitMatch[0];
    if (unit === "") return { error: `time: missing unit in duration ${quoted}` };
    const scale = durationUnits[unit];
    if (scale === undefined) {
      return { error: `time: unknown unit ${goQuote(unit)} in duration ${quoted}` };
    }
    rest = rest.slice(unit.length);
    total += Number(`${whole || "0"}.${fraction ?? ""}0`) * scale;
    // Go's Duration is an int64 of nanoseconds.
    if (total >= 2 ** 63) return invalidDuration;
  }
  return { nanoseconds: sign * total };
}

/** Wall-clock fields of an instant in a time zone; month 1–12, weekday 0 = Sunday. */
interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const wallFormats = new Map<string, Intl.DateTimeFormat>();

function wallClock(ms: number, timeZone: string): WallClock {
  if (timeZone === "UTC") {
    const d = new Date(ms);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      weekday: d.getUTCDay(),
    };
  }
  let format = wallFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    wallFormats.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(ms))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return {
    year,
    month,
    day,
    hour,
    minute,
    second,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
  };
}

/** The zone's offset from UTC at an instant, in milliseconds. */
export function zoneOffset(ms: number, timeZone: string): number {
  if (timeZone === "UTC") return 0;
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant of a wall-clock time (Go's time.Date): out-of-range fields carry over,
 * and a time a DST change skips or repeats resolves the way Go resolves it.
 */
function fromWallClock(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const offset = zoneOffset(wall, timeZone);
  const corrected = zoneOffset(wall - offset, timeZone);
  return wall - (corrected === offset ? offset : corrected);
}

/**
 * The first activation strictly after `after` (milliseconds), robfig/cron's
 * Schedule.Next: fields are matched in the schedule's zone (its TZ= prefix, else
 * `timeZone`, the controller's local zone when absent); undefined when none falls
 * within five years (an impossible date such as February 30th).
 */
export function nextActivation(
  schedule: CronSchedule,
  after: number,
  timeZone?: string,
): number | undefined {
  const seconds = Math.floor(after / 1000) * 1000;
  if (schedule.kind === "every") return seconds + schedule.seconds * 1000;
  const zone =
    schedule.timeZone || timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const has = (bits: bigint, value: number) => ((bits >> BigInt(value)) & 1n) === 1n;
  const dayMatches = (w: WallClock) => {
    const dom = has(schedule.dayOfMonth, w.day);
    const dow = has(schedule.dayOfWeek, w.weekday);
    return schedule.dayOfMonthStar || schedule.dayOfWeekStar ? dom && dow : dom || dow;
  };
  // Standard schedules only fire at second 0, so start at the next whole minute.
  let t = seconds + 1000;
  let added = false;
  const yearLimit = wallClock(t, zone).year + 5;
  wrap: for (;;) {
    let w = wallClock(t, zone);
    if (w.year > yearLimit) return undefined;
    while (!has(schedule.month, w.month)) {
      if (!added) {
        added = true;
        t = fromWallClock(zone, w.year, w.month, 1);
        w = wallClock(t, zone);
      }
      t = fromWallClock(zone, w.year, w.month + 1, w.day, w.hour, w.minute);
      w = wallClock(t, zone);
      if (w.month === 1) continue wrap;
    }
    while (!dayMatches(w)) {
      if (!added) {
        added = true;
        t = fromWallClock(zone, w.year, w.month, w.day);
        w = wallClock(t, zone);
      }
      t = fromWallClock(zone, w.year, w.month, w.day + 1, w.hour, w.minute);
      w = wallClock(t, zone);
      // Where midnight does not exist the day starts at 1am: bring it back to the hour.
      if (w.hour !== 0) {
        t += (w.hour > 12 ? 24 - w.hour : -w.hour) * 3_600_000;
        w = wallClock(t, zone);
      }
      if (w.day === 1) continue wrap;
    }
    while (!has(schedule.hour, w.hour)) {
      if (!added) {
        added = true;
        t = fromWallClock(zone, w.year, w.month, w.day, w.hour);
      }
      t += 3_600_000;
      w = wallClock(t, zone);
      if (w.hour === 0) continue wrap;
    }
    while (!has(schedule.minute, w.minute)) {
      if (!added) {
        added = true;
        t = Math.floor(t / 60_000) * 60_000;
      }
      t += 60_000;
      w = wallClock(t, zone);
      if (w.minute === 0) continue wrap;
    }
    if (w.second !== 0) {
      // The seconds field only allows 0: move to the next minute and check it again.
      added = true;
      t = Math.floor(t / 60_000) * 60_000 + 60_000;
      continue;
    }
    return t;
  }
}
