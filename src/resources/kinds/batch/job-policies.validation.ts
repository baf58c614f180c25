/**
 * A Job's pod failure policy (which failures count against the backoff limit, fail the
 * Job or an index, or are ignored) and success policy (which indexes finishing make an
 * Indexed Job succeed), with upstream's paths and messages.
 */
import {
  duplicate,
  type FieldError,
  invalid,
  notSupported,
  OMIT_VALUE,
  required,
  tooLong,
  tooMany,
} from "../../validation/field-error.ts";
import type { FieldPath } from "../../validation/field-path.ts";
import { goQuote } from "../../validation/go-quote.ts";
import { isQualifiedName } from "../../validation/qualified-name.ts";
import { validateNonnegative } from "../apps/workload-validation.ts";
import { type JsonRecord, recordList, recordOf, stringOf } from "../core/json-value.ts";

const maxPodFailurePolicyRules = 20;
const maxPodFailurePolicyOnExitCodesValues = 255;
const maxPodFailurePolicyOnPodConditionsPatterns = 20;
/** Bounds `status.completedIndexes`-like strings a controller has to parse on every sync. */
const maxSuccessPolicySucceededIndexesLength = 64 * 1024;
const maxSuccessPolicyRules = 20;

const podFailurePolicyActions = ["Count", "FailIndex", "FailJob", "Ignore"];
const onExitCodesOperators = ["In", "NotIn"];
const conditionStatuses = ["False", "True", "Unknown"];

/** Go's `%q` of a string list: `["a" "b"]`. */
function quotedList(values: readonly string[]): string {
  return `[${values.map(goQuote).join(" ")}]`;
}

export function validatePodFailurePolicy(
  spec: JsonRecord,
  policy: JsonRecord,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const rulesPath = path.child("rules");
  const rules = recordList(policy.rules);
  if (rules.length > maxPodFailurePolicyRules) {
    errors.push(tooMany(rulesPath, rules.length, maxPodFailurePolicyRules));
  }
  const podSpec = recordOf(recordOf(spec.template)?.spec) ?? {};
  const containerNames = new Set(
    [...recordList(podSpec.containers), ...recordList(podSpec.initContainers)].map((c) =>
      stringOf(c.name),
    ),
  );
  rules.forEach((rule, i) => {
    const rulePath = rulesPath.index(i);
    const actionPath = rulePath.child("action");
    const action = stringOf(rule.action);
    if (action === "") {
      errors.push(required(actionPath, `valid values: ${quotedList(podFailurePolicyActions)}`));
    } else if (action === "FailIndex") {
      if (spec.backoffLimitPerIndex == null) {
        errors.push(invalid(actionPath, action, "requires the backoffLimitPerIndex to be set"));
      }
    } else if (!podFailurePolicyActions.includes(action)) {
      errors.push(notSupported(actionPath, action, podFailurePolicyActions));
    }
    const onExitCodes = recordOf(rule.onExitCodes);
    const onPodConditions = recordList(rule.onPodConditions);
    if (onExitCodes !== undefined) {
      errors.push(
        ...validateOnExitCodes(onExitCodes, rulePath.child("onExitCodes"), containerNames),
      );
    }
    if (onPodConditions.length > 0) {
      errors.push(...validateOnPodConditions(onPodConditions, rulePath.child("onPodConditions")));
    }
    if (onExitCodes !== undefined && onPodConditions.length > 0) {
      errors.push(
        invalid(
          rulePath,
          OMIT_VALUE,
          "specifying both OnExitCodes and OnPodConditions is not supported",
        ),
      );
    }
    if (onExitCodes === undefined && onPodConditions.length === 0) {
      errors.push(
        invalid(
          rulePath,
          OMIT_VALUE,
          "specifying one of OnExitCodes and OnPodConditions is required",
        ),
      );
    }
  });
  return errors;
}

function validateOnExitCodes(
  requirement: JsonRecord,
  path: FieldPath,
  containerNames: ReadonlySet<string>,
): FieldError[] {
  const errors: FieldError[] = [];
  const operatorPath = path.child("operator");
  const operator = stringOf(requirement.operator);
  if (operator === "") {
    errors.push(required(operatorPath, `valid values: ${quotedList(onExitCodesOperators)}`));
  } else if (!onExitCodesOperators.includes(operator)) {
    errors.push(notSupported(operatorPath, operator, onExitCodesOperators));
  }
  if (
    requirement.containerName != null &&
    !containerNames.has(stringOf(requirement.containerName))
  ) {
    errors.push(
      invalid(
        path.child("containerName"),
        requirement.containerName,
        "must be one of the container or initContainer names in the pod template",
      ),
    );
  }
  const valuesPath = path.child("values");
  const values = Array.isArray(requirement.values) ? (requirement.values as unknown[]) : [];
  if (values.length === 0) {
    errors.push(invalid(valuesPath, requirement.values ?? null, "at least one value is required"));
  } else if (values.length > maxPodFailurePolicyOnExitCodesValues) {
    errors.push(tooMany(valuesPath, values.length, maxPodFailurePolicyOnExitCodesValues));
  }
  const seen = new Set<unknown>();
  let ordered = true;
  values.forEach((value, j) => {
    if (operator === "In" && value === 0) {
      errors.push(invalid(valuesPath.index(j), value, "must not be 0 for the In operator"));
    }
    if (seen.has(value)) errors.push(duplicate(valuesPath.index(j), value));
    else seen.add(value);
    const previous = values[j - 1];
    if (j > 0 && typeof previous === "number" && typeof value === "number" && previous > value) {
      ordered = false;
    }
  });
  if (!ordered) errors.push(invalid(valuesPath, values, "must be ordered"));
  return errors;
}

function validateOnPodConditions(patterns: JsonRecord[], path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  if (patterns.length > maxPodFailurePolicyOnPodConditionsPatterns) {
    errors.push(tooMany(path, patterns.length, maxPodFailurePolicyOnPodConditionsPatterns));
  }
  patterns.forEach((pattern, j) => {
    const patternPath = path.index(j);
    const type = stringOf(pattern.type);
    for (const message of isQualifiedName(type)) {
      errors.push(invalid(patternPath.child("type"), type, message));
    }
    const status = stringOf(pattern.status);
    const statusPath = patternPath.child("status");
    if (status === "") {
      errors.push(required(statusPath, `valid values: ${quotedList(conditionStatuses)}`));
    } else if (!conditionStatuses.includes(status)) {
      errors.push(notSupported(statusPath, status, conditionStatuses));
    }
  });
  return errors;
}

export function validateSuccessPolicy(
  policy: JsonRecord,
  completions: unknown,
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const rulesPath = path.child("rules");
  const rules = recordList(policy.rules);
  if (rules.length === 0) {
    errors.push(
      required(
        rulesPath,
        "at least one rules must be specified when the successPolicy is specified",
      ),
    );
  }
  if (rules.length > maxSuccessPolicyRules) {
    errors.push(tooMany(rulesPath, rules.length, maxSuccessPolicyRules));
  }
  const total = typeof completions === "number" ? completions : 0;
  rules.forEach((rule, i) => {
    const rulePath = rulesPath.index(i);
    const { succeededCount, succeededIndexes } = rule;
    if (succeededCount == null && succeededIndexes == null) {
      errors.push(
        required(rulePath, "at least one of succeededCount or succeededIndexes must be specified"),
      );
    }
    let indexCount = 0;
    if (succeededIndexes != null) {
      const indexesPath = rulePath.child("succeededIndexes");
      const text = stringOf(succeededIndexes);
      if (text.length > maxSuccessPolicySucceededIndexesLength) {
        errors.push(tooLong(indexesPath, maxSuccessPolicySucceededIndexesLength));
      }
      const parsed = countIndexes(text, total);
      if (typeof parsed === "string") {
        errors.push(invalid(indexesPath, text, `error parsing succeededIndexes: ${parsed}`));
      } else {
        indexCount = parsed;
      }
    }
    if (typeof succeededCount === "number") {
      const countPath = rulePath.child("succeededCount");
      errors.push(...validateNonnegative(succeededCount, countPath));
      if (succeededCount > total) {
        errors.push(
          invalid(
            countPath,
            succeededCount,
            `must be less than or equal to ${total} (the number of specified completions)`,
          ),
        );
      }
      if (succeededIndexes != null && succeededCount > indexCount) {
        errors.push(
          invalid(
            countPath,
            succeededCount,
            `must be less than or equal to ${indexCount} (the number of indexes in the specified succeededIndexes field)`,
          ),
        );
      }
    }
  });
  return errors;
}

/**
 * How many indexes an interval list such as "1,3-5" names, or the reason it is not one:
 * strictly increasing, each index below `completions`.
 */
export function countIndexes(text: string, completions: number): number | string {
  if (text.length === 0) return 0;
  let last: number | undefined;
  let total = 0;
  for (const interval of text.split(",")) {
    const limits = interval.split("-");
    if (limits.length > 2) return `too many parts separated by '-' in ${goQuote(interval)}`;
    let first = true;
    for (const limit of limits) {
      if (!/^[+-]?[0-9]+$/.test(limit) || Math.abs(Number(limit)) > 2147483647) {
        return `cannot convert string to integer for index: ${goQuote(limit)}`;
      }
      const value = Number(limit);
      if (value >= completions) return `too large index: ${goQuote(limit)}`;
      if (last !== undefined && last >= value) {
        return `non-increasing order, previous: ${last}, current: ${value}`;
      }
      total += first ? 1 : value - (last ?? value);
      last = value;
      first = false;
    }
  }
  return total;
}
