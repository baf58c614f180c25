/**
 * Immutable fields: an update may not change them.
 */
import { type FieldError, invalid } from "./field-error.ts";
import type { FieldPath } from "./field-path.ts";

export const FIELD_IMMUTABLE_MESSAGE = "field is immutable";

/**
 * Rejects an update whose `newValue` differs from `oldValue`; the error shows the new
 * value, as upstream's does.
 */
export function validateImmutable(
  oldValue: unknown,
  newValue: unknown,
  path: FieldPath,
): FieldError[] {
  return semanticEqual(oldValue, newValue)
    ? []
    : [invalid(path, newValue, FIELD_IMMUTABLE_MESSAGE)];
}

/**
 * Deep equality of JSON values in the sense of upstream's semantic equality: a missing
 * value, null, an empty list and an empty map are all equal. In Go a nil slice equals an
 * empty one and absent fields decode to nil, and our JSON omits empty values, so treating
 * them as different would call a client that leaves `finalizers: []` out a mutation.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmptyValue(a) && isEmptyValue(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => semanticEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!semanticEqual(a[key], b[key])) return false;
    return true;
  }
  return Object.is(a, b) || a === b;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isPlainObject(value) && Object.keys(value).length === 0;
}
