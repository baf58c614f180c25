/**
 * Go's time.Duration text form ("1h2m3.5s", "300ms", "0s"), which is how
 * meta/v1 Duration appears in JSON. Nanoseconds are bigint because a Duration
 * spans the full int64 range.
 */

const second = 1_000_000_000n;
const minute = 60n * second;
const hour = 60n * minute;

const units: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: second,
  m: minute,
  h: hour,
};

/** Formats like Go's Duration.String. */
export function formatGoDuration(nanoseconds: bigint): string {
  if (nanoseconds === 0n) return "0s";
  const negative = nanoseconds < 0n;
  const abs = negative ? -nanoseconds : nanoseconds;
  const sign = negative ? "-" : "";
  if (abs < 1_000n) return `${sign}${abs}ns`;
  if (abs < 1_000_000n) return `${sign}${fraction(abs, 1_000n)}µs`;
  if (abs < 1_000_000_000n) return `${sign}${fraction(abs, 1_000_000n)}ms`;
  const hours = abs / hour;
  const minutes = (abs % hour) / minute;
  const seconds = fraction(abs % minute, second);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** Parses like Go's time.ParseDuration; undefined when the text is not a duration. */
export function parseGoDuration(text: string): bigint | undefined {
  const match = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(text);
  if (text === "0") return 0n;
  if (!match) return undefined;
  let total = 0n;
  for (const part of text.matchAll(/(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/g)) {
    const unit = units[part[3] as string] as bigint;
    const whole = BigInt(part[1] || "0");
    const frac = part[2] ?? "";
    total += whole * unit;
    if (frac) total += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
  }
  return match[1] === "-" ? -total : total;
}

function fraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return `${whole}`;
  const digits = unit.toString().length - 1;
  return `${whole}.${rest.toString().padStart(digits, "0").replace(/0+$/, "")}`;
}
