/**
 * Builders for the sentences upstream's format checks return. Each `is…` function in this
 * folder returns a list of these strings (empty when the value is fine); callers wrap them
 * in `invalid(path, value, message)`. The exact wording is kept because kubectl prints it.
 */

/** `msg (e.g. 'a',  or 'b', regex used for validation is 're')`; the double space is upstream's. */
export function regexError(message: string, regex: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${regex}')`;
  let out = `${message} (e.g. `;
  examples.forEach((example, i) => {
    if (i > 0) out += " or ";
    out += `'${example}', `;
  });
  return `${out}regex used for validation is '${regex}')`;
}

export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

export function emptyError(): string {
  return "must be non-empty";
}

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

const encoder = new TextEncoder();

/**
 * A string's length in UTF-8 bytes. Upstream's limits (63 for a label, 253 for a
 * subdomain, 256 KiB of annotations) count Go string bytes, not UTF-16 code units.
 */
export function utf8Length(value: string): number {
  // ASCII is the overwhelmingly common case and needs no encoding.
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0x7f) return encoder.encode(value).length;
  }
  return value.length;
}
