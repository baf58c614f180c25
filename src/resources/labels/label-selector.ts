/**
 * Label selectors: which objects a list, watch, Service, ReplicaSet or scheduler rule is
 * about. Built from a string (`app=web,tier!=db,env in (prod,staging),!canary`), from a
 * `metav1.LabelSelector` object, or from a plain label set, with upstream semantics:
 *
 * - an empty selector matches everything (`LabelSelector.everything()`, `isEmpty()`);
 * - a missing (`null`/`undefined`) LabelSelector object matches nothing
 *   (`LabelSelector.nothing()`, `matchesNothing()`), which is how a Service without a
 *   selector or a PodDisruptionBudget with none selects no pods. Callers for which "no
 *   selector" means "everything" (list requests) pass an empty selector instead.
 *
 * Selectors are immutable and their requirements are kept sorted by key, so `toString()`
 * is canonical: the same selector always prints the same way.
 */

import type { FieldPath } from "../validation/field-path.ts";
import { goQuote } from "../validation/go-quote.ts";
import { parseLabelSelectorRequirements } from "./label-selector-parser.ts";
import {
  compareStrings,
  InvalidLabelSelectorError,
  newRequirement,
  type Requirement,
  requirementMatches,
  requirementToString,
  type SelectorOperator,
} from "./requirement.ts";

export type { Requirement, SelectorOperator } from "./requirement.ts";
export { InvalidLabelSelectorError, newRequirement } from "./requirement.ts";

/** `metav1.LabelSelectorRequirement` as it appears in object JSON. */
export interface MetaV1LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[] | null;
}

/** `metav1.LabelSelector` as it appears in object JSON (`spec.selector`). */
export interface MetaV1LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: MetaV1LabelSelectorRequirement[] | null;
}

const objectOperators: Record<string, SelectorOperator> = {
  In: "in",
  NotIn: "notin",
  Exists: "exists",
  DoesNotExist: "!",
};

export class LabelSelector {
  private static readonly all = new LabelSelector([]);
  private static readonly none = new LabelSelector(undefined);

  private constructor(
    /** Sorted by key; undefined for the selector that matches nothing. */
    private readonly terms: readonly Requirement[] | undefined,
  ) {}

  /** Matches every label set. */
  static everything(): LabelSelector {
    return LabelSelector.all;
  }

  /** Matches no label set, not even an empty one. */
  static nothing(): LabelSelector {
    return LabelSelector.none;
  }

  /** Parses selector syntax; throws InvalidLabelSelectorError with upstream's message. */
  static parse(input: string, path?: FieldPath): LabelSelector {
    const terms = parseLabelSelectorRequirements(input, path);
    return terms.length === 0 ? LabelSelector.all : new LabelSelector(terms);
  }

  /**
   * `key=value` for every entry. Not validated, like upstream's SelectorFromSet: the set
   * usually comes from an object's own labels, which were validated when it was stored.
   * Pass `validate: true` for input from elsewhere.
   */
  static fromSet(
    labels: Readonly<Record<string, string>> | undefined,
    options: { validate?: boolean } = {},
  ): LabelSelector {
    const entries = Object.entries(labels ?? {});
    if (entries.length === 0) return LabelSelector.all;
    const terms = entries.map(([key, value]) =>
      options.validate
        ? newRequirement(key, "=", [value])
        : { key, operator: "=" as const, values: [value] },
    );
    return new LabelSelector(sortByKey(terms));
  }

  /**
   * Converts a `metav1.LabelSelector` (upstream LabelSelectorAsSelector): null/undefined
   * selects nothing, an object with no terms selects everything. Throws
   * InvalidLabelSelectorError for an unknown operator or an invalid key or value.
   */
  static fromObject(selector: MetaV1LabelSelector | null | undefined): LabelSelector {
    if (selector === null || selector === undefined) return LabelSelector.none;
    const matchLabels = Object.entries(selector.matchLabels ?? {});
    const expressions = selector.matchExpressions ?? [];
    if (matchLabels.length + expressions.length === 0) return LabelSelector.all;
    // Sorted first so that a selector converts the same way whatever the key order in JSON.
    const terms: Requirement[] = matchLabels
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([key, value]) => newRequirement(key, "=", [value]));
    for (const expression of expressions) {
      const operator = objectOperators[expression.operator];
      if (operator === undefined) {
        throw new InvalidLabelSelectorError(
          `${goQuote(expression.operator)} is not a valid label selector operator`,
        );
      }
      terms.push(newRequirement(expression.key, operator, expression.values ?? []));
    }
    return new LabelSelector(sortByKey(terms));
  }

  /** Whether every requirement holds for `labels` (missing labels count as none). */
  matches(labels: Readonly<Record<string, string>> | null | undefined): boolean {
    if (this.terms === undefined) return false;
    const set = labels ?? {};
    for (const term of this.terms) if (!requirementMatches(term, set)) return false;
    return true;
  }

  /** True when the selector does not restrict anything (and so matches everything). */
  isEmpty(): boolean {
    return this.terms !== undefined && this.terms.length === 0;
  }

  /** True only for `LabelSelector.nothing()`; contradictions such as `a=b,a!=b` are not detected. */
  matchesNothing(): boolean {
    return this.terms === undefined;
  }

  /** The requirements, sorted by key; empty for both everything and nothing. */
  requirements(): readonly Requirement[] {
    return this.terms ?? [];
  }

  /** A new selector with more requirements (nothing stays nothing). */
  add(...requirements: Requirement[]): LabelSelector {
    if (this.terms === undefined) return this;
    return new LabelSelector(sortByKey([...this.terms, ...requirements]));
  }

  /**
   * The value `key` must have, when the first requirement on `key` pins exactly one value
   * (`=`, `==`, or `in` with a single value). Lets a caller use an index instead of a scan.
   */
  requiresExactMatch(key: string): string | undefined {
    for (const term of this.terms ?? []) {
      if (term.key !== key) continue;
      const pins = term.operator === "=" || term.operator === "==" || term.operator === "in";
      return pins && term.values.length === 1 ? term.values[0] : undefined;
    }
    return undefined;
  }

  /** Canonical selector syntax; "" for both everything and nothing. */
  toString(): string {
    return (this.terms ?? []).map(requirementToString).join(",");
  }
}

function sortByKey(terms: Requirement[]): Requirement[] {
  return terms.sort((a, b) => compareStrings(a.key, b.key));
}

/** `LabelSelector.parse`. */
export function parseLabelSelector(input: string, path?: FieldPath): LabelSelector {
  return LabelSelector.parse(input, path);
}

/** `LabelSelector.fromObject` (upstream's name). */
export function labelSelectorAsSelector(
  selector: MetaV1LabelSelector | null | undefined,
): LabelSelector {
  return LabelSelector.fromObject(selector);
}
