/**
 * Go's `strconv.Quote` (the `%q` verb). Upstream renders string values in validation
 * messages with it (`Invalid value: "Foo"`); JSON.stringify differs for control and
 * non-printable characters (`\x01` against `\u0001`), so error texts would drift.
 */
export function goQuote(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) as number;
    switch (char) {
      case '"':
        out += '\\"';
        continue;
      case "\\":
        out += "\\\\";
        continue;
      case "\x07":
        out += "\\a";
        continue;
      case "\b":
        out += "\\b";
        continue;
      case "\f":
        out += "\\f";
        continue;
      case "\n":
        out += "\\n";
        continue;
      case "\r":
        out += "\\r";
        continue;
      case "\t":
        out += "\\t";
        continue;
      case "\v":
        out += "\\v";
        continue;
    }
    if (isGoPrintable(code)) {
      out += char;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // A lone surrogate is not valid UTF-8; Go would have seen the replacement character.
      out += "\\ufffd";
    } else if (code < 0x80) {
      out += `\\x${code.toString(16).padStart(2, "0")}`;
    } else if (code < 0x10000) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else {
      out += `\\U${code.toString(16).padStart(8, "0")}`;
    }
  }
  return `${out}"`;
}

/**
 * Go's `unicode.IsPrint` approximated with Unicode property classes: letters, marks,
 * numbers, punctuation, symbols and the ASCII space are printable; other spaces,
 * controls, format characters and unassigned code points are escaped.
 */
function isGoPrintable(code: number): boolean {
  if (code === 0x20) return true;
  if (code < 0x20 || code === 0x7f) return false;
  return printable.test(String.fromCodePoint(code));
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
