/**
 * Narrowing of decoded JSON. Hooks receive objects as clients sent them, so a field the
 * schema calls a list may arrive as a string or null; these readers turn anything of the
 * wrong shape into "absent" so validation reports what is missing instead of throwing.
 */

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value as a list of records (entries of any other shape read as empty records). */
export function recordList(value: unknown): JsonRecord[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => (isRecord(item) ? item : {}));
}

/** The value as a list of strings (other entries read as ""). */
export function stringList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => (typeof item === "string" ? item : ""));
}

/** The value as a map of strings (other values read as ""). */
export function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) out[key] = typeof item === "string" ? item : "";
  return out;
}

/** The value as a record, or undefined when it is absent or not an object. */
export function recordOf(value: unknown): JsonRecord | undefined {
  return isRecord(value) ? value : undefined;
}

/** The value as a string, "" when absent or of another type (Go's zero value). */
export function stringOf(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** The value as a number, undefined when absent or of another type (a nil pointer). */
export function numberOf(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

/** The record at `key` of `parent`, created empty when missing (for defaulting). */
export function ensureRecord(parent: JsonRecord, key: string): JsonRecord {
  const current = parent[key];
  if (isRecord(current)) return current;
  const created: JsonRecord = {};
  parent[key] = created;
  return created;
}

/** A deep copy of a JSON value. */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}
