/**
 * meta/v1 Time and MicroTime in JSON: RFC 3339 in UTC, whole seconds for
 * Time ("2024-01-02T03:04:05Z") and six fractional digits for MicroTime
 * ("2024-01-02T03:04:05.000000Z"), as apimachinery formats them. Seconds are
 * kept apart from nanoseconds so no precision is lost on the way.
 */

export interface Timestamp {
  seconds: number;
  nanos: number;
}

export function formatRfc3339(ts: Timestamp, micro: boolean): string {
  const date = new Date(ts.seconds * 1000);
  const base = date.toISOString().slice(0, 19);
  if (!micro) return `${base}Z`;
  return `${base}.${String(Math.trunc(ts.nanos / 1000)).padStart(6, "0")}Z`;
}

const pattern =
  /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:\d\d)$/;

/** Undefined when the text is not RFC 3339. */
export function parseRfc3339(text: string): Timestamp | undefined {
  const m = pattern.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const frac = m[7] ?? "";
  const zone = m[8] ?? "Z";
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second);
  const local = date.getTime() / 1000;
  let offset = 0;
  if (zone !== "Z" && zone !== "z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    offset = sign * (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
  }
  return { seconds: local - offset, nanos: Number(frac.padEnd(9, "0")) };
}
