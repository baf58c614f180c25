/**
 * IP address and CIDR checks with upstream's two levels of strictness.
 *
 * The "sloppy" parser accepts what Go's net.ParseIP accepted before Go 1.17: IPv4 octets
 * with leading zeros ("010.001.002.003", read as decimal) and IPv6 groups with more than
 * four digits when the extra digits are leading zeros. Fields that predate strict
 * validation still accept those forms on request (`…ForLegacyField` with
 * `strict: false`); everything else rejects them, because libc reads a leading-zero octet
 * as octal and two programs would disagree about which address was meant.
 */
import { type FieldError, invalid } from "./field-error.ts";
import type { FieldPath } from "./field-path.ts";
import { goQuote } from "./go-quote.ts";

/** A parsed address: always 16 bytes, IPv4 addresses in their IPv4-mapped form. */
export interface ParsedIP {
  readonly bytes: Uint8Array;
  /** Written in IPv6 syntax (contains a colon), even if it is an IPv4-mapped address. */
  readonly isIPv6Syntax: boolean;
  /** Accepted only by the sloppy parser (leading zeros). */
  readonly hasLeadingZeros: boolean;
}

/** Digit runs stop accumulating here, as Go's parser does, so huge runs fail fast. */
const digitRunLimit = 0xffffff;

interface Run {
  value: number;
  length: number;
}

function decimalRun(s: string, from: number): Run | undefined {
  let value = 0;
  let i = from;
  for (; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 48 || code > 57) break;
    value = value * 10 + (code - 48);
    if (value >= digitRunLimit) return undefined;
  }
  return i === from ? undefined : { value, length: i - from };
}

function hexRun(s: string, from: number): Run | undefined {
  let value = 0;
  let i = from;
  for (; i < s.length; i++) {
    const digit = Number.parseInt(s[i] as string, 16);
    if (Number.isNaN(digit)) break;
    value = value * 16 + digit;
    if (value >= digitRunLimit) return undefined;
  }
  return i === from ? undefined : { value, length: i - from };
}

interface V4 {
  octets: number[];
  hasLeadingZeros: boolean;
}

function parseIPv4Text(s: string): V4 | undefined {
  const octets: number[] = [];
  let hasLeadingZeros = false;
  let pos = 0;
  for (let i = 0; i < 4; i++) {
    if (pos >= s.length) return undefined;
    if (i > 0) {
      if (s[pos] !== ".") return undefined;
      pos++;
    }
    const run = decimalRun(s, pos);
    if (run === undefined || run.value > 0xff) return undefined;
    if (run.length > 1 && s[pos] === "0") hasLeadingZeros = true;
    octets.push(run.value);
    pos += run.length;
  }
  return pos === s.length ? { octets, hasLeadingZeros } : undefined;
}

function parseIPv6Text(text: string): { bytes: Uint8Array; hasLeadingZeros: boolean } | undefined {
  const bytes = new Uint8Array(16);
  let hasLeadingZeros = false;
  let ellipsis = -1;
  let s = text;
  if (s.startsWith("::")) {
    ellipsis = 0;
    s = s.slice(2);
    if (s.length === 0) return { bytes, hasLeadingZeros };
  }
  let i = 0;
  while (i < 16) {
    const run = hexRun(s, 0);
    if (run === undefined || run.value > 0xffff) return undefined;
    if (s[run.length] === ".") {
      // A trailing dotted IPv4 part fills the last four bytes, or sits right after "::".
      if ((ellipsis < 0 && i !== 12) || i + 4 > 16) return undefined;
      const v4 = parseIPv4Text(s);
      if (v4 === undefined) return undefined;
      hasLeadingZeros ||= v4.hasLeadingZeros;
      bytes.set(v4.octets, i);
      s = "";
      i += 4;
      break;
    }
    if (run.length > 4) hasLeadingZeros = true;
    bytes[i] = run.value >> 8;
    bytes[i + 1] = run.value & 0xff;
    i += 2;
    s = s.slice(run.length);
    if (s.length === 0) break;
    if (s[0] !== ":" || s.length === 1) return undefined;
    s = s.slice(1);
    if (s[0] === ":") {
      if (ellipsis >= 0) return undefined;
      ellipsis = i;
      s = s.slice(1);
      if (s.length === 0) break;
    }
  }
  if (s.length !== 0) return undefined;
  if (i < 16) {
    if (ellipsis < 0) return undefined;
    const gap = 16 - i;
    bytes.copyWithin(ellipsis + gap, ellipsis, i);
    bytes.fill(0, ellipsis, ellipsis + gap);
  } else if (ellipsis >= 0) {
    // "::" must stand for at least one group of zeros.
    return undefined;
  }
  return { bytes, hasLeadingZeros };
}

function mappedIPv4(octets: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  bytes.set(octets, 12);
  return bytes;
}

/** Parses like Go's pre-1.17 `net.ParseIP`; undefined when the text is not an address. */
export function parseIPSloppy(value: string): ParsedIP | undefined {
  for (const char of value) {
    if (char === ".") {
      const v4 = parseIPv4Text(value);
      if (v4 === undefined) return undefined;
      return {
        bytes: mappedIPv4(v4.octets),
        isIPv6Syntax: false,
        hasLeadingZeros: v4.hasLeadingZeros,
      };
    }
    if (char === ":") {
      const v6 = parseIPv6Text(value);
      if (v6 === undefined) return undefined;
      return { bytes: v6.bytes, isIPv6Syntax: true, hasLeadingZeros: v6.hasLeadingZeros };
    }
  }
  return undefined;
}

/** Whether 16 bytes hold an IPv4 address (`::ffff:a.b.c.d`). */
export function isIPv4Bytes(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * The canonical text of an address, as Go's `net.IP.String` writes it: dotted decimal
 * for IPv4 (including IPv4-mapped IPv6), otherwise lower-case RFC 5952 with the first
 * longest run of two or more zero groups collapsed to "::".
 */
export function formatIP(bytes: Uint8Array): string {
  if (isIPv4Bytes(bytes)) return Array.from(bytes.subarray(12)).join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j > i ? j : i + 1;
  }
  // "::" must not shorten a single zero group.
  if (bestLength < 2) bestStart = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += "::";
      i += bestLength - 1;
      continue;
    }
    if (i > 0 && !out.endsWith(":")) out += ":";
    out += (groups[i] as number).toString(16);
  }
  return out;
}

const ipExample = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

function checkIP(
  path: FieldPath | undefined,
  value: string,
  strict: boolean,
): { ip?: ParsedIP; errors: FieldError[] } {
  const ip = parseIPSloppy(value);
  if (ip === undefined) return { errors: [invalid(path, value, ipExample)] };
  const errors: FieldError[] = [];
  if (strict) {
    if (ip.hasLeadingZeros) errors.push(invalid(path, value, "must not have leading 0s"));
    else if (ip.isIPv6Syntax && isIPv4Bytes(ip.bytes)) {
      errors.push(invalid(path, value, "must not be an IPv4-mapped IPv6 address"));
    }
  }
  return { ip, errors };
}

/** An IP address in canonical form, with no leading zeros and no IPv4-mapped IPv6. */
export function isValidIP(path: FieldPath | undefined, value: string): FieldError[] {
  const { ip, errors } = checkIP(path, value, true);
  if (ip === undefined || errors.length > 0) return errors;
  const canonical = formatIP(ip.bytes);
  if (value !== canonical) {
    return [invalid(path, value, `must be in canonical form (${goQuote(canonical)})`)];
  }
  return [];
}

export interface LegacyFieldOptions {
  /** False only where the StrictIPCIDRValidation gate would be off; then leading zeros pass. */
  strict?: boolean;
  /** Values already stored in the old object, accepted unchanged on update. */
  validOldValues?: readonly string[];
}

/**
 * An IP address for a field that predates strict validation: non-canonical forms such as
 * "FE80:0:0::0ABC" pass, and with `strict: false` so do leading zeros and IPv4-mapped
 * IPv6 addresses.
 */
export function isValidIPForLegacyField(
  path: FieldPath | undefined,
  value: string,
  options: LegacyFieldOptions = {},
): FieldError[] {
  if (options.validOldValues?.includes(value)) return [];
  return checkIP(path, value, options.strict ?? true).errors;
}

interface ParsedCIDR {
  ip: ParsedIP;
  /** Address bits: 32 when the address part parsed as IPv4, else 128. */
  bits: number;
  prefixLength: number;
  prefixText: string;
}

/** Parses like Go's pre-1.17 `net.ParseCIDR` (leading zeros allowed in both parts). */
export function parseCIDRSloppy(value: string): ParsedCIDR | undefined {
  const slash = value.indexOf("/");
  if (slash < 0) return undefined;
  const addressText = value.slice(0, slash);
  const prefixText = value.slice(slash + 1);
  let ip: ParsedIP | undefined;
  let bits = 32;
  const v4 = parseIPv4Text(addressText);
  if (v4 !== undefined) {
    ip = { bytes: mappedIPv4(v4.octets), isIPv6Syntax: false, hasLeadingZeros: v4.hasLeadingZeros };
  } else {
    bits = 128;
    const v6 = parseIPv6Text(addressText);
    if (v6 !== undefined) {
      ip = { bytes: v6.bytes, isIPv6Syntax: true, hasLeadingZeros: v6.hasLeadingZeros };
    }
  }
  const prefix = decimalRun(prefixText, 0);
  if (ip === undefined || prefix === undefined || prefix.length !== prefixText.length) {
    return undefined;
  }
  if (prefix.value > bits) return undefined;
  return { ip, bits, prefixLength: prefix.value, prefixText };
}

/** The address with every bit past the prefix cleared. */
export function maskIP(bytes: Uint8Array, prefixLength: number, bits: number): Uint8Array {
  const masked = new Uint8Array(bytes);
  // IPv4 prefixes count from the start of the last four bytes.
  const start = bits === 32 ? 96 + prefixLength : prefixLength;
  for (let bit = start; bit < 128; bit++) {
    masked[bit >> 3] = (masked[bit >> 3] as number) & ~(0x80 >> (bit & 7));
  }
  return masked;
}

const cidrExample = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

function checkCIDR(
  path: FieldPath | undefined,
  value: string,
  strict: boolean,
): { cidr?: ParsedCIDR; errors: FieldError[] } {
  const cidr = parseCIDRSloppy(value);
  if (cidr === undefined) return { errors: [invalid(path, value, cidrExample)] };
  if (!strict) return { cidr, errors: [] };
  const prefixHasLeadingZero = cidr.prefixText.length > 1 && cidr.prefixText.startsWith("0");
  if (cidr.ip.hasLeadingZeros || prefixHasLeadingZero) {
    return {
      cidr,
      errors: [invalid(path, value, "must not have leading 0s in IP or prefix length")],
    };
  }
  if (cidr.ip.isIPv6Syntax && isIPv4Bytes(cidr.ip.bytes)) {
    return { cidr, errors: [invalid(path, value, "must not have an IPv4-mapped IPv6 address")] };
  }
  const masked = maskIP(cidr.ip.bytes, cidr.prefixLength, cidr.bits);
  if (!masked.every((byte, i) => byte === cidr.ip.bytes[i])) {
    return {
      cidr,
      errors: [invalid(path, value, "must not have bits set beyond the prefix length")],
    };
  }
  return { cidr, errors: [] };
}

/** A subnet in canonical form ("10.0.0.0/8", "fd00::/64"), no bits set past the prefix. */
export function isValidCIDR(path: FieldPath | undefined, value: string): FieldError[] {
  const { cidr, errors } = checkCIDR(path, value, true);
  if (cidr === undefined || errors.length > 0) return errors;
  const canonical = `${formatIP(maskIP(cidr.ip.bytes, cidr.prefixLength, cidr.bits))}/${cidr.prefixLength}`;
  if (value !== canonical) {
    return [invalid(path, value, `must be in canonical form (${goQuote(canonical)})`)];
  }
  return [];
}

/** A CIDR value for a field that predates strict validation (see `isValidIPForLegacyField`). */
export function isValidCIDRForLegacyField(
  path: FieldPath | undefined,
  value: string,
  options: LegacyFieldOptions = {},
): FieldError[] {
  if (options.validOldValues?.includes(value)) return [];
  return checkCIDR(path, value, options.strict ?? true).errors;
}

/** An interface address ("192.168.1.5/24"): a full address plus its subnet length. */
export function isValidInterfaceAddress(path: FieldPath | undefined, value: string): FieldError[] {
  const cidr = parseCIDRSloppy(value);
  if (cidr === undefined) {
    return [
      invalid(
        path,
        value,
        "must be a valid address in CIDR form, (e.g. 10.9.8.7/24 or 2001:db8::1/64)",
      ),
    ];
  }
  let length = cidr.prefixLength;
  // "::ffff:192.168.0.1/120" is the IPv4 address 192.168.0.1/24.
  if (isIPv4Bytes(cidr.ip.bytes) && length > 32) length -= 96;
  const canonical = `${formatIP(cidr.ip.bytes)}/${length}`;
  if (value !== canonical) {
    return [invalid(path, value, `must be in canonical form (${goQuote(canonical)})`)];
  }
  return [];
}
