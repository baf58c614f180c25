/**
 * Field-level validation errors, the unit every `validate` hook returns.
 *
 * The shape and texts follow upstream's `field.Error`: the API layer turns a list of them
 * into one 422 `Invalid` Status whose `details.causes` are `toStatusCause(e)` and whose
 * message is `<Kind> "<name>" is invalid: ${aggregateFieldErrors(errors)}`. kubectl prints
 * those texts verbatim, so the wording here is part of the API.
 *
 * Bad values are rendered like upstream: strings with Go's `%q`, numbers and booleans
 * plainly, missing values as `null`, and anything else as JSON (what Kubernetes 1.34 and
 * later print; older servers printed Go struct syntax, which has no TypeScript analogue).
 */
import { type FieldPath, renderPath } from "./field-path.ts";
import { goQuote } from "./go-quote.ts";

export type FieldErrorType =
  | "FieldValueNotFound"
  | "FieldValueRequired"
  | "FieldValueDuplicate"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueForbidden"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
  | "InternalError"
  | "FieldValueTypeInvalid";

export interface FieldError {
  readonly type: FieldErrorType;
  /** The rendered field path, e.g. `metadata.name` or `spec.containers[0].name`. */
  readonly field: string;
  /** The offending value; absent for error types that never show it. */
  readonly badValue?: unknown;
  readonly detail: string;
}

/** The StatusCause the API layer puts in `details.causes` (JSON name of the type is `reason`). */
export interface FieldErrorCause {
  reason: FieldErrorType;
  message: string;
  field: string;
}

/** Marks a bad value that must not be printed (upstream's `omitValue`). */
export const OMIT_VALUE: unique symbol = Symbol("omitValue");

const typeText: Record<FieldErrorType, string> = {
  FieldValueNotFound: "Not found",
  FieldValueRequired: "Required value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueInvalid: "Invalid value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueForbidden: "Forbidden",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
  InternalError: "Internal error",
  FieldValueTypeInvalid: "Invalid value",
};

/** Types whose message never shows the bad value. */
const valueless = new Set<FieldErrorType>([
  "FieldValueRequired",
  "FieldValueForbidden",
  "FieldValueTooLong",
  "InternalError",
]);

function make(
  type: FieldErrorType,
  path: FieldPath | undefined,
  badValue: unknown,
  detail: string,
): FieldError {
  return { type, field: renderPath(path), badValue, detail };
}

/** A malformed value: failed format check, out of range, and so on. */
export function invalid(path: FieldPath | undefined, value: unknown, detail: string): FieldError {
  return make("FieldValueInvalid", path, value, detail);
}

/** A value that must be provided (empty string, null, empty list). */
export function required(path: FieldPath | undefined, detail = ""): FieldError {
  return make("FieldValueRequired", path, "", detail);
}

/** A value that collides with another that must be unique. */
export function duplicate(path: FieldPath | undefined, value: unknown): FieldError {
  return make("FieldValueDuplicate", path, value, "");
}

/** A value that refers to something that does not exist. */
export function notFound(path: FieldPath | undefined, value: unknown): FieldError {
  return make("FieldValueNotFound", path, value, "");
}

/** A value outside an enumeration; `validValues` are listed quoted, in the order given. */
export function notSupported(
  path: FieldPath | undefined,
  value: unknown,
  validValues: readonly string[],
): FieldError {
  const detail =
    validValues.length > 0 ? `supported values: ${validValues.map(goQuote).join(", ")}` : "";
  return make("FieldValueNotSupported", path, value, detail);
}

/** A well-formed value that the current conditions do not permit. */
export function forbidden(path: FieldPath | undefined, detail: string): FieldError {
  return make("FieldValueForbidden", path, "", detail);
}

/** A value longer than `maxLength` bytes; the value itself is never printed. */
export function tooLong(path: FieldPath | undefined, maxLength: number): FieldError {
  const detail = maxLength >= 0 ? `may not be more than ${maxLength} bytes` : "value is too long";
  return make("FieldValueTooLong", path, "<value omitted>", detail);
}

/** A list with more than `maxQuantity` items (negative numbers leave the count out). */
export function tooMany(
  path: FieldPath | undefined,
  actualQuantity: number,
  maxQuantity: number,
): FieldError {
  const detail = maxQuantity >= 0 ? `must have at most ${maxQuantity} items` : "has too many items";
  return make("FieldValueTooMany", path, actualQuantity >= 0 ? actualQuantity : OMIT_VALUE, detail);
}

/** A value of the wrong type for its schema. */
export function typeInvalid(
  path: FieldPath | undefined,
  value: unknown,
  detail: string,
): FieldError {
  return make("FieldValueTypeInvalid", path, value, detail);
}

/** A failure not caused by user input. */
export function internalError(path: FieldPath | undefined, error: Error | string): FieldError {
  return make("InternalError", path, null, typeof error === "string" ? error : error.message);
}

function renderValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return goQuote(value);
    case "number":
    case "bigint":
    case "boolean":
      return String(value);
    default:
      return JSON.stringify(value) ?? String(value);
  }
}

/** The message without the field name (upstream `ErrorBody`), used as a cause's message. */
export function fieldErrorBody(error: FieldError): string {
  let body = typeText[error.type];
  if (!valueless.has(error.type) && error.badValue !== OMIT_VALUE) {
    body += `: ${renderValue(error.badValue)}`;
  }
  if (error.detail.length > 0) body += `: ${error.detail}`;
  return body;
}

/** `field: body`, e.g. `metadata.name: Required value: name or generateName is required`. */
export function fieldErrorMessage(error: FieldError): string {
  return `${error.field}: ${fieldErrorBody(error)}`;
}

/**
 * Several errors as one line: duplicates dropped, a single error as itself, several as
 * `[first, second]`. This is the tail of a 422's message.
 */
export function aggregateFieldErrors(errors: readonly FieldError[]): string {
  return aggregateMessages(errors.map(fieldErrorMessage));
}

/** Upstream's aggregate error text for any list of messages. */
export function aggregateMessages(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  if (unique.length === 1) return unique[0] as string;
  return unique.length === 0 ? "" : `[${unique.join(", ")}]`;
}

export function toStatusCause(error: FieldError): FieldErrorCause {
  return { reason: error.type, message: fieldErrorBody(error), field: error.field };
}
