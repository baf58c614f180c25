/**
 * One term of a label selector (`app in (web,api)`), with upstream's validation: every
 * way of building a selector (parsing a string, converting a LabelSelector object,
 * wrapping a label set) goes through `newRequirement`, so all of them reject the same
 * keys and values with the same messages.
 */
import {
  aggregateFieldErrors,
  type FieldError,
  invalid,
  notSupported,
} from "../validation/field-error.ts";
import { childOf, type FieldPath } from "../validation/field-path.ts";
import { isQualifiedName, isValidLabelValue } from "../validation/qualified-name.ts";

/** Upstream's `selection.Operator` values; `!` is DoesNotExist, `gt`/`lt` compare integers. */
export type SelectorOperator = "in" | "notin" | "=" | "==" | "!=" | "exists" | "!" | "gt" | "lt";

/** In the order upstream lists them in "supported values" messages. */
export const SELECTOR_OPERATORS: readonly SelectorOperator[] = [
  "in",
  "notin",
  "=",
  "==",
  "!=",
  "gt",
  "lt",
  "exists",
  "!",
];

export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** As given; empty for exists and `!`. Parsed selectors hold them sorted and unique. */
  readonly values: readonly string[];
}

/**
 * A selector that could not be built. `message` is upstream's text (clients print it);
 * `causes` holds the field errors behind it when there are any.
 */
export class InvalidLabelSelectorError extends Error {
  override name = "InvalidLabelSelectorError";
  constructor(
    message: string,
    readonly causes: readonly FieldError[] = [],
  ) {
    super(message);
  }
}

/** The key check shared by the parser: one error whose detail joins every problem. */
export function validateLabelKey(key: string, path: FieldPath | undefined): FieldError | undefined {
  const messages = isQualifiedName(key);
  return messages.length === 0 ? undefined : invalid(path, key, messages.join("; "));
}

const int64Pattern = /^[+-]?[0-9]+$/;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(value, 10, 64): optional sign, decimal digits, int64 range. */
export function parseInt64(value: string): bigint | undefined {
  if (!int64Pattern.test(value)) return undefined;
  const parsed = BigInt(value);
  return parsed < int64Min || parsed > int64Max ? undefined : parsed;
}

/**
 * Builds a requirement or throws InvalidLabelSelectorError listing every problem:
 * the key must be a qualified name, values must be label values, and the value count
 * must suit the operator (at least one for in/notin, exactly one for =, ==, !=, gt, lt,
 * none for exists and `!`).
 */
export function newRequirement(
  key: string,
  operator: SelectorOperator,
  values: readonly string[],
  path?: FieldPath,
): Requirement {
  const errors: FieldError[] = [];
  const keyError = validateLabelKey(key, childOf(path, "key"));
  if (keyError !== undefined) errors.push(keyError);
  const valuePath = childOf(path, "values");
  // Upstream shows an empty list as Go's nil slice.
  const shownValues = values.length === 0 ? null : values;
  switch (operator) {
    case "in":
    case "notin":
      if (values.length === 0) {
        errors.push(
          invalid(valuePath, shownValues, "for 'in', 'notin' operators, values set can't be empty"),
        );
      }
      break;
    case "=":
    case "==":
    case "!=":
      if (values.length !== 1) {
        errors.push(
          invalid(valuePath, shownValues, "exact-match compatibility requires one single value"),
        );
      }
      break;
    case "exists":
    case "!":
      if (values.length !== 0) {
        errors.push(
          invalid(valuePath, shownValues, "values set must be empty for exists and does not exist"),
        );
      }
      break;
    case "gt":
    case "lt":
      if (values.length !== 1) {
        errors.push(
          invalid(
            valuePath,
            shownValues,
            "for 'Gt', 'Lt' operators, exactly one value is required",
          ),
        );
      }
      values.forEach((value, i) => {
        if (parseInt64(value) === undefined) {
          errors.push(
            invalid(
              valuePath.index(i),
              value,
              "for 'Gt', 'Lt' operators, the value must be an integer",
            ),
          );
        }
      });
      break;
    default:
      errors.push(notSupported(childOf(path, "operator"), operator, SELECTOR_OPERATORS));
  }
  values.forEach((value, i) => {
    const messages = isValidLabelValue(value);
    if (messages.length > 0) {
      errors.push(invalid(valuePath.index(i).key(key), value, messages.join("; ")));
    }
  });
  if (errors.length > 0) throw new InvalidLabelSelectorError(aggregateFieldErrors(errors), errors);
  return { key, operator, values: [...values] };
}

function hasValue(requirement: Requirement, value: string): boolean {
  return requirement.values.includes(value);
}

/**
 * Whether a label set satisfies one requirement. A missing key satisfies `!=`, `notin`
 * and `!`, never `=`, `in`, `exists`, `gt` or `lt`.
 */
export function requirementMatches(
  requirement: Requirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const present = Object.hasOwn(labels, requirement.key);
  const value = present ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case "in":
    case "=":
    case "==":
      return value !== undefined && hasValue(requirement, value);
    case "notin":
    case "!=":
      return value === undefined || !hasValue(requirement, value);
    case "exists":
      return present;
    case "!":
      return !present;
    case "gt":
    case "lt": {
      if (value === undefined || requirement.values.length !== 1) return false;
      const actual = parseInt64(value);
      const bound = parseInt64(requirement.values[0] as string);
      if (actual === undefined || bound === undefined) return false;
      return requirement.operator === "gt" ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

const operatorText: Record<SelectorOperator, string> = {
  "=": "=",
  "==": "==",
  "!=": "!=",
  in: " in ",
  notin: " notin ",
  gt: ">",
  lt: "<",
  exists: "",
  "!": "",
};

/** `key`, `!key`, `key=v`, `key in (a,b)` (several values are shown sorted). */
export function requirementToString(requirement: Requirement): string {
  const { key, operator, values } = requirement;
  if (operator === "exists") return key;
  if (operator === "!") return `!${key}`;
  const shown = values.length === 1 ? values[0] : [...values].sort(compareStrings).join(",");
  const body = `${key}${operatorText[operator]}`;
  return operator === "in" || operator === "notin" ? `${body}(${shown})` : `${body}${shown}`;
}

/** Byte-order string comparison (labels are ASCII, where it equals code-unit order). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
