/**
 * Field selectors (`?fieldSelector=metadata.name=web,spec.nodeName!=`): equality tests on
 * a few fields a kind chooses to expose. Semantics are upstream's:
 *
 * - only `=`, `==` (the same as `=`) and `!=`; terms are joined by "," and all must hold;
 * - a field the object does not have compares as the empty string, so `spec.nodeName=`
 *   selects unscheduled pods;
 * - values escape `\`, `,` and `=` with a backslash; field names cannot be escaped and
 *   are taken verbatim (no whitespace trimming);
 * - the parser accepts any field name: the kind checks the names with
 *   `unsupportedField(…)` and refuses the request with `fieldLabelNotSupported(…)`.
 */
import { goQuote } from "../validation/go-quote.ts";

export type FieldSelectorOperator = "=" | "!=";

export interface FieldRequirement {
  readonly field: string;
  readonly operator: FieldSelectorOperator;
  /** Unescaped. */
  readonly value: string;
}

/** Thrown for selector strings upstream rejects; the message is upstream's text. */
export class InvalidFieldSelectorError extends Error {
  override name = "InvalidFieldSelectorError";
}

/** Upstream's message when a kind does not index a field (per-kind field label conversion). */
export function fieldLabelNotSupported(field: string): string {
  return `field label not supported: ${field}`;
}

/** Upstream's message for kinds that only support the two metadata fields. */
export function fieldNotKnownMetadataOnly(field: string): string {
  return `${goQuote(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`;
}

/** Rewrites a term (a kind's aliases, say); returning "" for both drops the term. */
export type FieldTransform = (field: string, value: string) => { field: string; value: string };

export class FieldSelector {
  private static readonly all = new FieldSelector([]);
  private static readonly none = new FieldSelector(undefined);

  private constructor(private readonly terms: readonly FieldRequirement[] | undefined) {}

  static everything(): FieldSelector {
    return FieldSelector.all;
  }

  static nothing(): FieldSelector {
    return FieldSelector.none;
  }

  /** Parses selector syntax; throws InvalidFieldSelectorError with upstream's message. */
  static parse(input: string): FieldSelector {
    const parts = splitTerms(input).sort(compareCodePoints);
    const terms: FieldRequirement[] = [];
    for (const part of parts) {
      if (part === "") continue;
      const split = splitTerm(part);
      if (split === undefined) {
        throw new InvalidFieldSelectorError(
          `invalid selector: '${input}'; can't understand '${part}'`,
        );
      }
      const operator: FieldSelectorOperator = split.operator === "!=" ? "!=" : "=";
      terms.push({ field: split.field, operator, value: unescapeFieldValue(split.value) });
    }
    return FieldSelector.all.and(terms);
  }

  /** `field=value` for every entry. */
  static fromSet(fields: Readonly<Record<string, string>>): FieldSelector {
    const terms = Object.entries(fields).map(([field, value]) => ({
      field,
      operator: "=" as const,
      value,
    }));
    return terms.length === 0 ? FieldSelector.all : new FieldSelector(terms);
  }

  /** Whether every term holds; `fields` maps each supported field path to its value. */
  matches(fields: Readonly<Record<string, string>>): boolean {
    if (this.terms === undefined) return false;
    for (const term of this.terms) {
      const actual = Object.hasOwn(fields, term.field) ? fields[term.field] : "";
      if ((actual === term.value) !== (term.operator === "=")) return false;
    }
    return true;
  }

  isEmpty(): boolean {
    return this.terms !== undefined && this.terms.length === 0;
  }

  matchesNothing(): boolean {
    return this.terms === undefined;
  }

  requirements(): readonly FieldRequirement[] {
    return this.terms ?? [];
  }

  /** The distinct field paths the selector tests, in order of first use. */
  fieldPaths(): string[] {
    return [...new Set((this.terms ?? []).map((term) => term.field))];
  }

  /** The first field the selector tests that `supported` lacks, if any. */
  unsupportedField(supported: Iterable<string>): string | undefined {
    const allowed = new Set(supported);
    return this.fieldPaths().find((field) => !allowed.has(field));
  }

  /**
   * Throws InvalidFieldSelectorError("field label not supported: <f>") for the first field
   * not in `supported`; the API layer answers it with 400 BadRequest.
   */
  assertSupported(supported: Iterable<string>): void {
    const field = this.unsupportedField(supported);
    if (field !== undefined) throw new InvalidFieldSelectorError(fieldLabelNotSupported(field));
  }

  /** The value `field` must equal, when a `=` term pins it. */
  requiresExactMatch(field: string): string | undefined {
    return this.terms?.find((term) => term.field === field && term.operator === "=")?.value;
  }

  /** Applies `transform` to every term (upstream's Transform); errors it throws propagate. */
  transform(transform: FieldTransform): FieldSelector {
    if (this.terms === undefined) return this;
    return FieldSelector.all.and(
      this.terms.map((term) => ({ ...term, ...transform(term.field, term.value) })),
    );
  }

  /** Canonical syntax with escaped values: `metadata.name=a\,b,spec.nodeName!=`. */
  toString(): string {
    return (this.terms ?? [])
      .map((term) => `${term.field}${term.operator}${escapeFieldValue(term.value)}`)
      .join(",");
  }

  /** A term whose field and value are both empty restricts nothing and is dropped. */
  private and(terms: readonly FieldRequirement[]): FieldSelector {
    const kept = terms.filter((term) => term.field !== "" || term.value !== "");
    return kept.length === 0 ? FieldSelector.all : new FieldSelector(kept);
  }
}

export function parseFieldSelector(input: string): FieldSelector {
  return FieldSelector.parse(input);
}

/** Escapes `\`, `,` and `=` so any literal can be a field selector value. */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (char) => `\\${char}`);
}

/** Reverses `escapeFieldValue`; an unescaped `,` or `=`, or another escape, is an error. */
export function unescapeFieldValue(value: string): string {
  if (!/[\\,=]/.test(value)) return value;
  let out = "";
  let escaped = false;
  for (const char of value) {
    if (escaped) {
      if (char !== "\\" && char !== "," && char !== "=") {
        throw new InvalidFieldSelectorError(
          `invalid field selector: invalid escape sequence: \\${char}`,
        );
      }
      out += char;
      escaped = false;
    } else if (char === "\\") {
      escaped = true;
    } else if (char === "," || char === "=") {
      // Upstream prints the character as its code point number (Go's %v of a rune).
      throw new InvalidFieldSelectorError(
        `invalid field selector: unescaped character in value: ${char.codePointAt(0)}`,
      );
    } else {
      out += char;
    }
  }
  if (escaped)
    throw new InvalidFieldSelectorError("invalid field selector: invalid escape sequence: \\");
  return out;
}

/** Splits on commas that are not escaped; the backslashes stay for unescaping later. */
function splitTerms(input: string): string[] {
  if (input.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < input.length; i++) {
    const char = input[i];
    if (escaped) escaped = false;
    else if (char === "\\") escaped = true;
    else if (char === ",") {
      terms.push(input.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(input.slice(start));
  return terms;
}

/**
 * Splits at the first operator. At each position `!=` is tried before `==` before `=`,
 * so `a==b` is field `a` and value `b`, not value `=b`.
 */
function splitTerm(term: string): { field: string; operator: string; value: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const operator of ["!=", "==", "="]) {
      if (term.startsWith(operator, i)) {
        return { field: term.slice(0, i), operator, value: term.slice(i + operator.length) };
      }
    }
  }
  return undefined;
}

/** Code-point order, which is the byte order upstream sorts UTF-8 terms in. */
function compareCodePoints(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const diff = (left[i]?.codePointAt(0) ?? 0) - (right[i]?.codePointAt(0) ?? 0);
    if (diff !== 0) return diff;
  }
  return left.length - right.length;
}
