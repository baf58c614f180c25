/**
 * Timestamps in printed cells. Objects carry RFC 3339 strings (`metav1.Time`, seconds;
 * `metav1.MicroTime`, microseconds) or null; upstream prints a missing one as
 * "<unknown>" and everything else as the human duration since then.
 */
import { humanDuration } from "./human-duration.ts";

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
/** Go's zero time, which upstream treats like a missing timestamp. */
const goZeroTime = Date.parse("0001-01-01T00:00:00Z");

/**
 * Milliseconds since the epoch of an RFC 3339 timestamp, or undefined when the value is
 * missing, not a timestamp, or Go's zero time.
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value !== "string" || !rfc3339.test(value)) return undefined;
  const milliseconds = Date.parse(value);
  if (Number.isNaN(milliseconds) || milliseconds === goZeroTime) return undefined;
  return milliseconds;
}

/** upstream translateTimestampSince: "<unknown>" for a missing timestamp, else its age. */
export function timestampSince(value: unknown, now: Date): string {
  const at = typeof value === "number" ? value : parseTimestamp(value);
  return at === undefined ? "<unknown>" : humanDuration(now.getTime() - at);
}
