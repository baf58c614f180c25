/**
 * `metadata.labels` and `metadata.annotations` rules. Errors name the map itself
 * (`metadata.labels`), not the key, exactly as upstream reports them.
 */
import { type FieldError, invalid, tooLong } from "./field-error.ts";
import type { FieldPath } from "./field-path.ts";
import { isQualifiedName, isValidLabelValue } from "./qualified-name.ts";
import { utf8Length } from "./validation-messages.ts";

/** All annotation keys and values together may take 256 KiB (etcd's value limit is ~1.5 MiB). */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

/** A label key is a qualified name. */
export function validateLabelName(name: string, path: FieldPath): FieldError[] {
  return isQualifiedName(name).map((message) => invalid(path, name, message));
}

export function validateLabels(
  labels: Readonly<Record<string, string>> | undefined,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    errors.push(...validateLabelName(key, path));
    for (const message of isValidLabelValue(value)) errors.push(invalid(path, value, message));
  }
  return errors;
}

/** Bytes the annotations take: every key plus every value, in UTF-8. */
export function annotationsSize(annotations: Readonly<Record<string, string>> | undefined): number {
  let total = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    total += utf8Length(key) + utf8Length(value);
  }
  return total;
}

/**
 * Annotation keys are qualified names compared case-insensitively (so upper case is
 * allowed); values are free-form but the total is capped.
 */
export function validateAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of Object.keys(annotations ?? {})) {
    for (const message of isQualifiedName(key.toLowerCase())) {
      errors.push(invalid(path, key, message));
    }
  }
  if (annotationsSize(annotations) > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) {
    errors.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  }
  return errors;
}
