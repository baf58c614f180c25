/**
 * Kubernetes resource quantities (`500m`, `4Gi`, `1e3`): exact fixed-point decimals with
 * upstream's parsing, rounding, arithmetic and, above all, serialisation, because the
 * string a quantity prints is what clients and `kubectl apply` diffs compare.
 *
 * A quantity is `unscaled × 10^scale` with a bigint mantissa, never a float, plus the
 * format it was written in (decimal SI `k`/`M`, binary SI `Ki`/`Mi`, or an `e` exponent),
 * which it keeps when printed in canonical form:
 *
 * - the largest suffix (or exponent multiple of 3) that leaves an integer mantissa:
 *   `0.5` → `500m`, `1000m` → `1`, `1024Mi` → `1Gi`, `1.5Gi` → `1536Mi`, `1e3` stays
 *   `1e3` (DecimalExponent) while `1000` → `1k`;
 * - binary values below 1024 in magnitude, or not whole, print as decimal SI (`0.5Ki` →
 *   `512`, `100.035Ki` → `102435840m`);
 * - when the input already was canonical by upstream's quick test, the input string is
 *   kept verbatim (upstream's cached string). That test has blind spots upstream keeps
 *   too: `+1`, `01`, `1.500` and `1E3` print as written, not as `1`, `1`, `1500m`, `1e3`.
 *
 * Parsing rounds anything finer than 1n up (away from zero: `0.1n` → `1n`), caps binary
 * quantities at 2^63-1, and turns binary values between 0 and 1 into decimal SI.
 *
 * Where upstream's int64 arithmetic silently overflows (values beyond 2^63), these
 * methods stay exact. Quantities with absurd exponents (`1e999999999`) parse and print,
 * but operations that would need more than 10,000 digits throw a RangeError instead of
 * exhausting memory; `cmp` compares such exponents without expanding them.
 */

export type QuantityFormat = "DecimalExponent" | "BinarySI" | "DecimalSI";

/** Upstream ErrFormatWrong; the API server returns it for malformed quantities. */
export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/** Upstream ErrNumeric. */
export const QUANTITY_NUMERIC_ERROR = "unable to parse numeric part of quantity";
/** Upstream ErrSuffix. */
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

export class QuantityParseError extends Error {
  override name = "QuantityParseError";
}

/** Named scales (powers of ten) for `scaledValue` and `roundUp`. */
export const Scale = {
  nano: -9,
  micro: -6,
  milli: -3,
  unit: 0,
  kilo: 3,
  mega: 6,
  giga: 9,
  tera: 12,
  peta: 15,
  exa: 18,
} as const;

const maxInt64 = 2n ** 63n - 1n;
/** Largest power of ten an operation will build before refusing (see the module comment). */
const maxPow10 = 10_000;

const decimalSuffixes: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixByExponent = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binarySuffixByPower = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

const pow10Cache = new Map<number, bigint>();

function pow10(exponent: number): bigint {
  if (exponent > maxPow10) throw new RangeError("quantity exponent out of range");
  let power = pow10Cache.get(exponent);
  if (power === undefined) {
    power = 10n ** BigInt(exponent);
    if (exponent <= 64) pow10Cache.set(exponent, power);
  }
  return power;
}

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}

function signOf(value: bigint): -1 | 0 | 1 {
  return value === 0n ? 0 : value < 0n ? -1 : 1;
}

function digitCount(value: bigint): number {
  return value === 0n ? 0 : abs(value).toString().length;
}

/** `unscaled × 10^scale` rounded away from zero to `target` (a coarser scale). */
function roundAway(
  unscaled: bigint,
  scale: number,
  target: number,
): { value: bigint; exact: boolean } {
  if (scale >= target || unscaled === 0n) return { value: unscaled, exact: true };
  const shift = target - scale;
  // Smaller than one unit of the target scale: the result is ±1 without dividing by a
  // power of ten as long as the exponent.
  if (digitCount(unscaled) < shift) return { value: BigInt(signOf(unscaled)), exact: false };
  const divisor = pow10(shift);
  const quotient = unscaled / divisor;
  if (unscaled % divisor === 0n) return { value: quotient, exact: true };
  return { value: quotient + BigInt(signOf(unscaled)), exact: false };
}

interface Scanned {
  positive: boolean;
  /** The number as written (sign, digits, point), without the suffix. */
  value: string;
  /** Integer digits without leading zeros ("0" when there are none). */
  num: string;
  denom: string;
  suffix: string;
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= "0" && char <= "9";
}

/** Splits sign, integer digits, fraction digits and suffix the way upstream's scanner does. */
function scan(input: string): Scanned {
  const end = input.length;
  let pos = 0;
  let positive = true;
  if (input[0] === "-") {
    positive = false;
    pos++;
  } else if (input[0] === "+") {
    pos++;
  }
  while (pos < end && input[pos] === "0") pos++;
  if (pos >= end) return { positive, value: "0", num: "0", denom: "", suffix: "" };
  const numStart = pos;
  while (isDigit(input[pos])) pos++;
  const num = input.slice(numStart, pos) || "0";
  if (pos >= end) return { positive, value: input, num, denom: "", suffix: "" };
  let denom = "";
  if (input[pos] === ".") {
    const denomStart = ++pos;
    while (isDigit(input[pos])) pos++;
    denom = input.slice(denomStart, pos);
    if (pos >= end) return { positive, value: input, num, denom, suffix: "" };
  }
  const value = input.slice(0, pos);
  const suffixStart = pos;
  while (pos < end && "eEinumkKMGTP".includes(input[pos] as string)) pos++;
  if (input[pos] === "-" || input[pos] === "+") pos++;
  while (isDigit(input[pos])) pos++;
  if (pos < end) throw new QuantityParseError(QUANTITY_FORMAT_ERROR);
  return { positive, value, num, denom, suffix: input.slice(suffixStart) };
}

interface Suffix {
  base: 2 | 10;
  exponent: number;
  format: QuantityFormat;
}

function interpretSuffix(suffix: string): Suffix {
  const decimal = decimalSuffixes[suffix];
  if (decimal !== undefined) return { base: 10, exponent: decimal, format: "DecimalSI" };
  const binary = binarySuffixes[suffix];
  if (binary !== undefined) return { base: 2, exponent: binary, format: "BinarySI" };
  if (suffix.length > 1 && (suffix[0] === "e" || suffix[0] === "E")) {
    const digits = suffix.slice(1);
    if (/^[+-]?[0-9]+$/.test(digits)) {
      const parsed = BigInt(digits);
      if (parsed >= -maxInt64 - 1n && parsed <= maxInt64) {
        // Upstream keeps exponents in an int32 and so wraps larger ones.
        return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: "DecimalExponent" };
      }
    }
  }
  throw new QuantityParseError(QUANTITY_SUFFIX_ERROR);
}

/**
 * Whether upstream's int64 fast path takes this input, and if so whether it keeps the
 * input as the printed form. Only the second answer is visible, but the first decides
 * which inputs without digits (".e-12") are numeric errors.
 */
function fastPath(scanned: Scanned, suffix: Suffix): { taken: boolean; keepsInput: boolean } {
  const { num, denom } = scanned;
  let precision: number;
  let scale: number;
  if (suffix.format === "BinarySI") {
    scale = 0;
    precision =
      denom.length === 0 ? 15 - num.length - Math.trunc((suffix.exponent * 3) / 10) - 1 : -1;
  } else {
    scale = suffix.exponent;
    precision = 18 - num.length - denom.length;
  }
  if (precision < 0) return { taken: false, keepsInput: false };
  scale -= denom.length;
  if (scale < Scale.nano) return { taken: false, keepsInput: false };
  const shifted = num + denom;
  const digits = BigInt(shifted);
  if (suffix.format === "BinarySI") {
    if (digits * 2n ** BigInt(suffix.exponent) > maxInt64)
      return { taken: false, keepsInput: false };
    return { taken: true, keepsInput: suffix.exponent % 10 === 0 && (digits & 7n) !== 0n };
  }
  const keepsInput = scale % 3 === 0 && !shifted.endsWith("000") && shifted[0] !== "0";
  return { taken: true, keepsInput };
}

export class Quantity {
  private printed: string | undefined;

  private constructor(
    private readonly unscaled: bigint,
    private readonly scale: number,
    readonly format: QuantityFormat,
    original?: string,
  ) {
    this.printed = original;
  }

  /** Parses a quantity string; throws QuantityParseError with upstream's message. */
  static parse(input: string): Quantity {
    if (input.length === 0) throw new QuantityParseError(QUANTITY_FORMAT_ERROR);
    if (input === "0") return new Quantity(0n, 0, "DecimalSI", "0");
    const scanned = scan(input);
    const suffix = interpretSuffix(scanned.suffix);
    const fast = fastPath(scanned, suffix);
    if (!fast.taken && !/[0-9]/.test(scanned.value)) {
      throw new QuantityParseError(QUANTITY_NUMERIC_ERROR);
    }
    let unscaled = BigInt(scanned.num + scanned.denom);
    let scale = -scanned.denom.length;
    if (suffix.base === 2) unscaled *= 2n ** BigInt(suffix.exponent);
    else scale += suffix.exponent;
    let format = suffix.format;
    // Anything finer than a nano-unit is rounded up: asking for a sliver of a resource
    // should still get some of it.
    if (scale < Scale.nano && unscaled !== 0n) {
      unscaled = roundAway(unscaled, scale, Scale.nano).value;
      scale = Scale.nano;
    }
    if (format === "BinarySI") {
      if (compareMagnitude(unscaled, scale, maxInt64, 0) > 0) {
        unscaled = maxInt64;
        scale = 0;
      } else if (unscaled !== 0n && compareMagnitude(unscaled, scale, 1n, 0) < 0) {
        format = "DecimalSI";
      }
    }
    if (!scanned.positive) unscaled = -unscaled;
    return new Quantity(unscaled, scale, format, fast.keepsInput ? input : undefined);
  }

  /**
   * A quantity from its JSON form: a string (surrounding whitespace ignored, as upstream
   * tolerates) or a number.
   */
  static fromJSON(value: string | number): Quantity {
    return Quantity.parse(typeof value === "number" ? String(value) : value.trim());
  }

  /** `value` units (upstream NewQuantity). */
  static fromInt(value: bigint | number, format: QuantityFormat = "DecimalSI"): Quantity {
    return new Quantity(toBigInt(value), 0, format);
  }

  /** `value` thousandths (upstream NewMilliQuantity). */
  static fromMilli(value: bigint | number, format: QuantityFormat = "DecimalSI"): Quantity {
    return new Quantity(toBigInt(value), Scale.milli, format);
  }

  /** `value × 10^scale` in decimal SI (upstream NewScaledQuantity). */
  static fromScaled(value: bigint | number, scale: number): Quantity {
    return new Quantity(toBigInt(value), scale, "DecimalSI");
  }

  static zero(format: QuantityFormat = "DecimalSI"): Quantity {
    return new Quantity(0n, 0, format);
  }

  isZero(): boolean {
    return this.unscaled === 0n;
  }

  sign(): -1 | 0 | 1 {
    return signOf(this.unscaled);
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than `other`. */
  cmp(other: Quantity): -1 | 0 | 1 {
    const a = this.sign();
    const b = other.sign();
    if (a !== b) return a < b ? -1 : 1;
    if (a === 0) return 0;
    const magnitude = compareMagnitude(this.unscaled, this.scale, other.unscaled, other.scale);
    return (a > 0 ? magnitude : -magnitude) as -1 | 0 | 1;
  }

  equals(other: Quantity): boolean {
    return this.cmp(other) === 0;
  }

  /** The exact sum; a zero left operand takes the right operand's format, as upstream's does. */
  add(other: Quantity): Quantity {
    const scale = Math.min(this.scale, other.scale);
    const sum = this.unscaledAt(scale) + other.unscaledAt(scale);
    return new Quantity(sum, scale, this.isZero() ? other.format : this.format);
  }

  sub(other: Quantity): Quantity {
    return this.add(other.neg());
  }

  neg(): Quantity {
    return new Quantity(-this.unscaled, this.scale, this.format);
  }

  /** The exact product with an integer. */
  mul(factor: bigint | number): Quantity {
    return new Quantity(this.unscaled * toBigInt(factor), this.scale, this.format);
  }

  /** The value in whole units, rounded away from zero (upstream Value). */
  value(): bigint {
    return this.scaledValue(Scale.unit);
  }

  /** The value in thousandths, rounded away from zero (upstream MilliValue). */
  milliValue(): bigint {
    return this.scaledValue(Scale.milli);
  }

  /** The value in units of 10^scale, rounded away from zero (upstream ScaledValue). */
  scaledValue(scale: number): bigint {
    if (this.scale >= scale) return this.unscaled * pow10(this.scale - scale);
    return roundAway(this.unscaled, this.scale, scale).value;
  }

  /**
   * The quantity rounded away from zero to `scale` (upstream RoundUp), and whether that
   * lost nothing. Quantities already at a coarser scale come back unchanged.
   */
  roundUp(scale: number): { quantity: Quantity; exact: boolean } {
    if (this.scale >= scale) return { quantity: this, exact: true };
    const rounded = roundAway(this.unscaled, this.scale, scale);
    return { quantity: new Quantity(rounded.value, scale, this.format), exact: rounded.exact };
  }

  /** A float approximation, for display and scoring only. */
  asApproximateNumber(): number {
    return Number.parseFloat(`${this.unscaled}e${this.scale}`);
  }

  /** The canonical form described in the module comment. */
  toString(): string {
    this.printed ??= this.canonical();
    return this.printed;
  }

  toJSON(): string {
    return this.toString();
  }

  private unscaledAt(scale: number): bigint {
    return this.unscaled * pow10(this.scale - scale);
  }

  private canonical(): string {
    if (this.unscaled === 0n) return "0";
    if (this.format === "BinarySI" && compareMagnitude(this.unscaled, this.scale, 1024n, 0) >= 0) {
      const whole = roundAway(this.unscaled, this.scale, 0);
      // Fractions cannot be written with binary suffixes without rounding: use decimal SI.
      if (whole.exact)
        return formatBinary(this.scale > 0 ? this.unscaled * pow10(this.scale) : whole.value);
    }
    return formatDecimal(this.unscaled, this.scale, this.format === "DecimalExponent");
  }
}

function toBigInt(value: bigint | number): bigint {
  if (typeof value === "bigint") return value;
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
  return BigInt(value);
}

/** Compares |a × 10^aScale| with |b × 10^bScale| without building huge powers of ten. */
function compareMagnitude(a: bigint, aScale: number, b: bigint, bScale: number): -1 | 0 | 1 {
  const left = abs(a);
  const right = abs(b);
  if (left === 0n || right === 0n) return left === right ? 0 : left === 0n ? -1 : 1;
  // The position of the leading digit decides unless both are the same; then the scales
  // differ by at most the difference in digit counts.
  const leftTop = digitCount(left) + aScale;
  const rightTop = digitCount(right) + bScale;
  if (leftTop !== rightTop) return leftTop < rightTop ? -1 : 1;
  const scale = Math.min(aScale, bScale);
  const x = left * pow10(aScale - scale);
  const y = right * pow10(bScale - scale);
  return x === y ? 0 : x < y ? -1 : 1;
}

function formatDecimal(unscaled: bigint, scale: number, exponentForm: boolean): string {
  let mantissa = unscaled;
  let exponent = scale;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  // Round the exponent down to a multiple of three, moving digits into the mantissa.
  const excess = ((exponent % 3) + 3) % 3;
  mantissa *= pow10(excess);
  exponent -= excess;
  if (exponentForm) return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  if (exponent > 18) {
    // Upstream has no suffix past E and prints a bare (wrong) mantissa; keep the value.
    mantissa *= pow10(exponent - 18);
    exponent = 18;
  }
  const suffix = decimalSuffixByExponent.get(exponent);
  // Finer than nano only arises from fromScaled; write it as an exponent rather than lose it.
  return suffix === undefined ? `${mantissa}e${exponent}` : `${mantissa}${suffix}`;
}

function formatBinary(whole: bigint): string {
  let mantissa = whole;
  let power = 0;
  while (mantissa % 1024n === 0n && power < binarySuffixByPower.length - 1) {
    mantissa /= 1024n;
    power++;
  }
  return `${mantissa}${binarySuffixByPower[power]}`;
}

/** `Quantity.parse`. */
export function parseQuantity(input: string): Quantity {
  return Quantity.parse(input);
}
