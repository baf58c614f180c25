/**
 * Ages as `kubectl get` shows them ("5s", "3m12s", "4h", "2d3h", "45d", "3y"): upstream's
 * HumanDuration (k8s.io/apimachinery/pkg/util/duration), which keeps about two significant
 * figures and so switches unit at fixed boundaries. The boundaries are part of what users
 * see, so they are kept exactly, including Go's truncation towards zero.
 */

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
const day = 24 * hour;

/** Formats a duration given in milliseconds. */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.trunc(milliseconds / second);
  // Clocks of two machines disagree a little: up to two seconds in the future still reads
  // as "now" rather than as an error.
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 2 * 60) return `${seconds}s`;

  const minutes = Math.trunc(milliseconds / minute);
  if (minutes < 10) {
    const rest = seconds % 60;
    return rest === 0 ? `${minutes}m` : `${minutes}m${rest}s`;
  }
  if (minutes < 3 * 60) return `${minutes}m`;

  const hours = Math.trunc(milliseconds / hour);
  if (hours < 8) {
    const rest = minutes % 60;
    return rest === 0 ? `${hours}h` : `${hours}h${rest}m`;
  }
  if (hours < 48) return `${hours}h`;

  const days = Math.trunc(milliseconds / day);
  if (hours < 24 * 8) {
    const rest = hours % 24;
    return rest === 0 ? `${days}d` : `${days}d${rest}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;

  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const rest = days % 365;
    return rest === 0 ? `${years}y` : `${years}y${rest}d`;
  }
  return `${years}y`;
}
