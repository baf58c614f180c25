/**
 * The one error the patch functions throw for a patch that cannot be applied.
 * `reason` and `code` are what the API answers with; the message is
 * upstream's own text (kubectl prints it), and the REST layer turns the error
 * into a `Status` in one place.
 *
 * Which reason each failure gets (kube-apiserver's choices, kept here so the
 * handler needs no knowledge of patch internals):
 * - BadRequest 400: the patch document cannot be read as a patch of its type
 *   (JSON patch not an array of operations, merge patch not an object, SMP
 *   directives in the wrong shape).
 * - Invalid 422: a well-formed patch that does not apply to this object (JSON
 *   patch path missing, `test` failed, index out of range; SMP list of lists).
 *   Upstream answers these with the generic text "the server rejected our
 *   request due to an error in our request" and drops the detail; keep
 *   `message` in the Status (or at least in `details.causes`) so users see
 *   which operation failed.
 * - RequestEntityTooLarge 413: more JSON patch operations than allowed.
 */
import { isJsonObject, type JsonValue } from "./json-value.ts";

export type PatchErrorReason = "BadRequest" | "Invalid" | "RequestEntityTooLarge";

const CODES: Record<PatchErrorReason, number> = {
  BadRequest: 400,
  Invalid: 422,
  RequestEntityTooLarge: 413,
};

export class PatchError extends Error {
  override readonly name = "PatchError";
  readonly code: number;

  constructor(
    readonly reason: PatchErrorReason,
    message: string,
  ) {
    super(message);
    this.code = CODES[reason];
  }
}

export function badRequest(message: string): PatchError {
  return new PatchError("BadRequest", message);
}

export function invalid(message: string): PatchError {
  return new PatchError("Invalid", message);
}

/**
 * Go's `%v` rendering of a decoded JSON value (`map[a:1 b:[x y]]`), because
 * upstream's messages embed values that way and users compare them.
 */
export function goValue(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return "<nil>";
  if (Array.isArray(value)) return `[${value.map(goValue).join(" ")}]`;
  if (isJsonObject(value)) {
    const members = Object.keys(value)
      .sort()
      .map((key) => `${key}:${goValue(value[key])}`);
    return `map[${members.join(" ")}]`;
  }
  return String(value);
}

/** The Go type a decoded JSON value has, for upstream's "expected a X, but received a Y". */
export function goTypeName(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return "<nil>";
  if (Array.isArray(value)) return "[]interface {}";
  if (isJsonObject(value)) return "map[string]interface {}";
  if (typeof value === "number") return Number.isInteger(value) ? "int64" : "float64";
  return typeof value === "boolean" ? "bool" : "string";
}

/** The JSON kind names of Go's "json: cannot unmarshal X into Go value of type T". */
export function goJsonKind(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  if (typeof value === "boolean") return "bool";
  return typeof value;
}
