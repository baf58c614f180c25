import { describe, expect, test } from "bun:test";
import {
  parseQuantity,
  QUANTITY_FORMAT_ERROR,
  QUANTITY_NUMERIC_ERROR,
  QUANTITY_SUFFIX_ERROR,
  Quantity,
  QuantityParseError,
  Scale,
} from "../../../src/resources/quantity/quantity.ts";

const q = (text: string) => Quantity.parse(text);

describe("Quantity.parse and toString", () => {
  const canonical: [input: string, printed: string, format: string][] = [
    ["0", "0", "DecimalSI"],
    ["500m", "500m", "DecimalSI"],
    ["0.5", "500m", "DecimalSI"],
    ["4Gi", "4Gi", "BinarySI"],
    ["1e3", "1e3", "DecimalExponent"],
    ["1000", "1k", "DecimalSI"],
    ["100M", "100M", "DecimalSI"],
    ["1.5Ki", "1536", "BinarySI"],
    ["-1", "-1", "DecimalSI"],
    ["1000m", "1", "DecimalSI"],
    ["1024Mi", "1Gi", "BinarySI"],
    ["1000M", "1G", "DecimalSI"],
    ["1.5Gi", "1536Mi", "BinarySI"],
    ["0.5Mi", "512Ki", "BinarySI"],
    ["0.5Ki", "512", "BinarySI"],
    ["100.035Ki", "102435840m", "BinarySI"],
    [".001Ki", "1024m", "BinarySI"],
    [".000001Ki", "1024u", "DecimalSI"],
    [".000000001Ki", "1024n", "DecimalSI"],
    [".000000000001Ki", "2n", "DecimalSI"],
    ["1.08", "1080m", "DecimalSI"],
    ["0.001", "1m", "DecimalSI"],
    ["1000u", "1m", "DecimalSI"],
    ["0.001e0", "1e-3", "DecimalExponent"],
    [".001e12", "1e9", "DecimalExponent"],
    ["1000e-12", "1e-9", "DecimalExponent"],
    ["1.2e3", "1200", "DecimalExponent"],
    ["1.3E+6", "1300e3", "DecimalExponent"],
    ["8.1k", "8100", "DecimalSI"],
    ["7.1234565M", "7123456500m", "DecimalSI"],
    ["10.0351M", "10035100", "DecimalSI"],
    ["12E", "12E", "DecimalSI"],
    ["307200Ki", "300Mi", "BinarySI"],
    ["1025024Mi", "1001Gi", "BinarySI"],
    ["5000m", "5", "DecimalSI"],
    ["-1.5Gi", "-1536Mi", "BinarySI"],
    ["-0.5", "-500m", "DecimalSI"],
    ["-1e3", "-1e3", "DecimalExponent"],
  ];
  for (const [input, printed, format] of canonical) {
    test(`${JSON.stringify(input)} prints as ${JSON.stringify(printed)} (${format})`, () => {
      const quantity = q(input);
      expect(quantity.toString()).toBe(printed);
      expect(quantity.format).toBe(format as Quantity["format"]);
      expect(JSON.stringify({ cpu: quantity })).toBe(`{"cpu":"${printed}"}`);
    });
  }

  // Upstream keeps an input it judges canonical as the printed form; its quick test lets
  // these through, so they print as written.
  for (const input of ["+1", "01", "1.500", "1E3", "1.G", "+1Ki", "7.123456M", "10.035M"]) {
    test(`keeps ${JSON.stringify(input)} as written, like upstream`, () => {
      expect(q(input).toString()).toBe(input);
    });
  }

  test("forgets the written form after arithmetic", () => {
    expect(q("+1").add(Quantity.zero()).toString()).toBe("1");
    expect(q("1.500").neg().toString()).toBe("-1500m");
  });

  const values: [input: string, value: bigint, milli: bigint][] = [
    ["1", 1n, 1000n],
    ["500m", 1n, 500n],
    ["1500m", 2n, 1500n],
    ["-1500m", -2n, -1500n],
    ["0.1n", 1n, 1n],
    ["3.001n", 1n, 1n],
    ["1.1E-9", 1n, 1n],
    ["0.00000012345", 1n, 1n],
    ["4Gi", 4294967296n, 4294967296000n],
    ["9Ei", 9223372036854775807n, 9223372036854775807000n],
    ["9223372036854775807Ki", 9223372036854775807n, 9223372036854775807000n],
    ["1000E", 10n ** 21n, 10n ** 24n],
  ];
  for (const [input, value, milli] of values) {
    test(`${input} has value ${value} and milli-value ${milli}`, () => {
      expect(q(input).value()).toBe(value);
      expect(q(input).milliValue()).toBe(milli);
    });
  }

  test("rounds values finer than a nano-unit up at parse time", () => {
    expect(q("3.001n").toString()).toBe("4n");
    expect(q("0.00000012345").toString()).toBe("124n");
    expect(q("0.5e-9").toString()).toBe("1e-9");
    expect(q("-0.1n").toString()).toBe("-1n");
  });

  test("caps binary quantities at 2^63-1 and prints them in decimal", () => {
    expect(q("9Ei").toString()).toBe("9223372036854775807");
    expect(q("-9Ei").toString()).toBe("-9223372036854775807");
  });

  test("prints decimal SI beyond E with the E suffix instead of dropping the exponent", () => {
    expect(q("1000E").toString()).toBe("1000E");
    expect(q("1E").add(q("999E")).toString()).toBe("1000E");
  });

  test("parses inputs without digits as zero where upstream does", () => {
    for (const input of [".", "-", "+", "Ki", "k", "000"]) expect(q(input).isZero()).toBe(true);
  });

  const invalid: [input: string, message: string][] = [
    ["", QUANTITY_FORMAT_ERROR],
    ["1.1.M", QUANTITY_FORMAT_ERROR],
    ["1+1.0M", QUANTITY_FORMAT_ERROR],
    ["aoeu", QUANTITY_FORMAT_ERROR],
    [" 1", QUANTITY_FORMAT_ERROR],
    ["1 ", QUANTITY_FORMAT_ERROR],
    ["1Gb", QUANTITY_FORMAT_ERROR],
    ["0.1mi", QUANTITY_SUFFIX_ERROR],
    ["0.1am", QUANTITY_FORMAT_ERROR],
    [".5i", QUANTITY_SUFFIX_ERROR],
    ["1i", QUANTITY_SUFFIX_ERROR],
    ["-3.01i", QUANTITY_SUFFIX_ERROR],
    ["-3.01e-", QUANTITY_SUFFIX_ERROR],
    ["1e99999999999999999999", QUANTITY_SUFFIX_ERROR],
    ["Ei", QUANTITY_NUMERIC_ERROR],
    [".e-12", QUANTITY_NUMERIC_ERROR],
  ];
  for (const [input, message] of invalid) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      expect(() => q(input)).toThrow(new QuantityParseError(message));
    });
  }

  test("the format error quotes upstream's regular expression", () => {
    expect(QUANTITY_FORMAT_ERROR).toBe(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
  });

  test("parseQuantity and fromJSON parse the same way", () => {
    expect(parseQuantity("2Gi").equals(q("2048Mi"))).toBe(true);
    expect(Quantity.fromJSON(" 1 ").toString()).toBe("1");
    expect(Quantity.fromJSON(1.5).toString()).toBe("1500m");
  });
});

describe("Quantity arithmetic", () => {
  test("compares exactly across formats and scales", () => {
    const table: [string, string, -1 | 0 | 1][] = [
      ["0", "0", 0],
      ["100m", "50m", 1],
      ["50m", "100m", -1],
      ["10000T", "100Gi", 1],
      ["1Ki", "1024", 0],
      ["1k", "1Ki", -1],
      ["-1", "1m", -1],
      ["-2", "-1", -1],
      ["1e999999999", "1E", 1],
      ["1e-999999999", "0", 1],
    ];
    for (const [a, b, expected] of table) expect(q(a).cmp(q(b))).toBe(expected);
  });

  test("adds and subtracts exactly, keeping the left operand's format", () => {
    expect(q("100m").add(q("1")).toString()).toBe("1100m");
    expect(q("1Gi").add(q("512Mi")).toString()).toBe("1536Mi");
    expect(q("1Gi").sub(q("1Mi")).toString()).toBe("1023Mi");
    expect(q("1").sub(q("1500m")).toString()).toBe("-500m");
    expect(q("0.1").add(q("0.2")).equals(q("300m"))).toBe(true);
    expect(q("1k").add(q("1Ki")).format).toBe("DecimalSI");
  });

  test("a zero left operand takes the other operand's format", () => {
    expect(Quantity.zero().add(q("1Gi")).toString()).toBe("1Gi");
    expect(q("1Gi").add(q("0")).toString()).toBe("1Gi");
    expect(q("100m").sub(q("0")).toString()).toBe("100m");
    expect(Quantity.zero().sub(q("1Gi")).toString()).toBe("-1Gi");
  });

  test("stays exact past the int64 range where upstream overflows", () => {
    // 8Ei is capped to 2^63-1 when parsed; the sum of two is past int64.
    const big = q("8Ei").add(q("8Ei"));
    expect(big.toString()).toBe("18446744073709551614");
    const sixteen = q("4Ei").mul(4);
    expect(sixteen.toString()).toBe("16Ei");
    expect(sixteen.value()).toBe(2n ** 64n);
  });

  test("multiplies, negates and reports sign", () => {
    expect(q("250m").mul(4).toString()).toBe("1");
    expect(q("1Gi").mul(3n).toString()).toBe("3Gi");
    expect(q("5").neg().sign()).toBe(-1);
    expect(q("0").sign()).toBe(0);
    expect(q("0").isZero()).toBe(true);
  });

  test("scaledValue rounds away from zero", () => {
    expect(q("1001m").scaledValue(Scale.unit)).toBe(2n);
    expect(q("-1001m").scaledValue(Scale.unit)).toBe(-2n);
    expect(q("1.5k").scaledValue(Scale.kilo)).toBe(2n);
    expect(q("1M").scaledValue(Scale.kilo)).toBe(1000n);
  });

  test("roundUp reports whether rounding lost precision", () => {
    const inexact = q("1234m").roundUp(Scale.unit);
    expect(inexact.quantity.toString()).toBe("2");
    expect(inexact.exact).toBe(false);
    const exact = q("2000m").roundUp(Scale.unit);
    expect(exact.quantity.toString()).toBe("2");
    expect(exact.exact).toBe(true);
    expect(q("-9").roundUp(1).quantity.toString()).toBe("-10");
  });

  test("refuses operations that would build astronomically large numbers", () => {
    expect(() => q("1e999999999").value()).toThrow(RangeError);
    expect(() => q("1e999999999").add(q("1"))).toThrow(RangeError);
    expect(q("1e999999999").toString()).toBe("1e999999999");
  });

  test("approximates as a float for display", () => {
    expect(q("1500m").asApproximateNumber()).toBe(1.5);
    expect(q("4Gi").asApproximateNumber()).toBe(4294967296);
  });
});

describe("Quantity constructors", () => {
  test("fromInt, fromMilli and fromScaled print like upstream's New*Quantity", () => {
    const table: [Quantity, string][] = [
      [Quantity.fromInt(1), "1"],
      [Quantity.fromInt(1000), "1k"],
      [Quantity.fromInt(1234000), "1234k"],
      [Quantity.fromInt(1024, "BinarySI"), "1Ki"],
      [Quantity.fromInt(1000000, "DecimalExponent"), "1e6"],
      [Quantity.fromInt(1024 * 1024, "BinarySI"), "1Mi"],
      [Quantity.fromMilli(1), "1m"],
      [Quantity.fromMilli(1000), "1"],
      [Quantity.fromMilli(1024, "BinarySI"), "1024m"],
      [Quantity.fromMilli(1000000, "DecimalExponent"), "1e3"],
      [Quantity.fromMilli(1024 * 1024, "BinarySI"), "1048576m"],
      [Quantity.fromScaled(3, Scale.kilo), "3k"],
      [Quantity.fromScaled(1, -12), "1e-12"],
    ];
    for (const [quantity, printed] of table) expect(quantity.toString()).toBe(printed);
  });

  test("rejects numbers that are not safe integers", () => {
    expect(() => Quantity.fromInt(1.5)).toThrow(RangeError);
  });
});
