/** A Go-style duration of hours, minutes and seconds ("8760h", "1h30m", "90s") in seconds. */
export function parseDurationSeconds(flag: string, value: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  const seconds = match
    ? Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0)
    : 0;
  if (!match || seconds <= 0) {
    throw new Error(`--${flag} must be a duration such as 8760h, 30m or 90s, not "${value}"`);
  }
  return seconds;
}
