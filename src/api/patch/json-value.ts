/**
 * Plain JSON values as the patch functions see them: what `JSON.parse`
 * returns. The patch functions never modify their inputs and return values
 * that share nothing with them, so callers may keep using both.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

export interface JsonObject {
  [key: string]: JsonValue;
}

export type JsonKind = "null" | "boolean" | "number" | "string" | "array" | "object";

export function jsonKind(value: JsonValue): JsonKind {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value as "boolean" | "number" | "string" | "object";
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Own members only: a patch naming `constructor` or `__proto__` means that member, not Object's. */
export function hasMember(object: JsonObject, key: string): boolean {
  return Object.hasOwn(object, key);
}

/**
 * Sets a member without ever touching the prototype chain: a plain assignment
 * to `__proto__` would replace the object's prototype instead of adding the
 * key that a user's JSON named.
 */
export function setMember(object: JsonObject, key: string, value: JsonValue): void {
  if (key === "__proto__") {
    Object.defineProperty(object, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    object[key] = value;
  }
}

export function cloneJson<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => cloneJson(item)) as T;
  if (isJsonObject(value)) {
    const copy: JsonObject = {};
    for (const [key, item] of Object.entries(value)) setMember(copy, key, cloneJson(item));
    return copy as T;
  }
  return value;
}

/** Structural equality; member order does not matter, element order does. */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return (
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => jsonEqual(item, b[i] ?? null))
    );
  }
  if (!isJsonObject(a) || !isJsonObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => hasMember(b, key) && jsonEqual(a[key] ?? null, b[key] ?? null));
}
