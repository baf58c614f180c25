/**
 * Port numbers and IANA service names (container port names, Service target ports).
 */
import { inclusiveRangeError, maxLenError, utf8Length } from "./validation-messages.ts";

/** A non-zero TCP/UDP port, 1 to 65535. */
export function isValidPortNum(port: number): string[] {
  return isInRange(port, 1, 65535);
}

/** An integer between `min` and `max`, inclusive. */
export function isInRange(value: number, min: number, max: number): string[] {
  if (Number.isInteger(value) && value >= min && value <= max) return [];
  return [inclusiveRangeError(min, max)];
}

const portNameCharset = /^[-a-z0-9]+$/;
const portNameLetter = /[a-z]/;

/**
 * An IANA_SVC_NAME (RFC 6335): 1 to 15 characters of `[-a-z0-9]`, at least one letter, no
 * leading, trailing or doubled hyphen. Only lower case is accepted even though the RFC is
 * case-insensitive, as upstream does, so that names compare by plain equality.
 */
export function isValidPortName(port: string): string[] {
  const errors: string[] = [];
  if (utf8Length(port) > 15) errors.push(maxLenError(15));
  if (!portNameCharset.test(port)) {
    errors.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (!portNameLetter.test(port)) errors.push("must contain at least one letter (a-z)");
  if (port.includes("--")) errors.push("must not contain consecutive hyphens");
  if (port.length > 0 && (port.startsWith("-") || port.endsWith("-"))) {
    errors.push("must not begin or end with a hyphen");
  }
  return errors;
}
