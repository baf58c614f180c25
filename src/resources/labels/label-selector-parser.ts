/**
 * The label selector string grammar (what `kubectl get -l` and `?labelSelector=` carry):
 *
 *   selector    ::= requirement ("," requirement)*
 *   requirement ::= ["!"] KEY [ ("in" | "notin") "(" VALUES ")" | ("=" | "==" | "!=" | ">" | "<") VALUE ]
 *
 * Whitespace (space, tab, CR, LF) may surround any token. `in`/`notin` are keywords only
 * where an operator is expected, so `in in (in)` is a valid selector. Error texts are
 * upstream's, because kubectl shows them to users as they are.
 */

import { type FieldError, fieldErrorMessage } from "../validation/field-error.ts";
import type { FieldPath } from "../validation/field-path.ts";
import {
  compareStrings,
  InvalidLabelSelectorError,
  newRequirement,
  type Requirement,
  type SelectorOperator,
  validateLabelKey,
} from "./requirement.ts";

type TokenKind =
  | "end"
  | "closePar"
  | "comma"
  | "doesNotExist"
  | "doubleEquals"
  | "equals"
  | "greaterThan"
  | "identifier"
  | "in"
  | "lessThan"
  | "notEquals"
  | "notIn"
  | "openPar";

interface Token {
  kind: TokenKind;
  literal: string;
}

const literalTokens: Record<string, TokenKind> = {
  ")": "closePar",
  ",": "comma",
  "!": "doesNotExist",
  "==": "doubleEquals",
  "=": "equals",
  ">": "greaterThan",
  in: "in",
  "<": "lessThan",
  "!=": "notEquals",
  notin: "notIn",
  "(": "openPar",
};

/** Shown after "expected:" when an operator is missing: upstream's binary operators. */
const binaryOperatorList = "in, notin, =, ==, !=, gt, lt";

// A NUL character ends the input, as it does for upstream's byte scanner.
const endOfInput = "\0";

function isWhitespace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
}

function isSpecialSymbol(ch: string): boolean {
  return ch.length === 1 && "=!(),><".includes(ch);
}

/** Splits the input into tokens, the last one always `end`. */
function scan(input: string): Token[] {
  let pos = 0;
  const read = (): string => (pos < input.length ? (input[pos++] as string) : endOfInput);
  const tokens: Token[] = [];
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    if (ch === endOfInput) {
      tokens.push({ kind: "end", literal: "" });
      return tokens;
    }
    if (isSpecialSymbol(ch)) {
      // Longest run of symbols that is still a known operator ("!=" rather than "!").
      let buffer = ch;
      let last: Token = { kind: literalTokens[ch] as TokenKind, literal: ch };
      for (;;) {
        const next = read();
        if (next === endOfInput) break;
        if (!isSpecialSymbol(next)) {
          pos--;
          break;
        }
        buffer += next;
        const kind = literalTokens[buffer];
        if (kind === undefined) {
          pos--;
          break;
        }
        last = { kind, literal: buffer };
      }
      tokens.push(last);
      continue;
    }
    let word = ch;
    for (;;) {
      const next = read();
      if (next === endOfInput) break;
      if (isSpecialSymbol(next) || isWhitespace(next)) {
        pos--;
        break;
      }
      word += next;
    }
    const keyword = literalTokens[word];
    tokens.push({
      kind: keyword === "in" || keyword === "notIn" ? keyword : "identifier",
      literal: word,
    });
  }
}

/** Thrown inside the parser; the entry point turns it into InvalidLabelSelectorError. */
class ParseFailure extends Error {
  constructor(
    message: string,
    readonly causes: readonly FieldError[] = [],
  ) {
    super(message);
  }
}

class Parser {
  private position = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly path: FieldPath | undefined,
  ) {}

  /** In value position the keywords `in` and `notin` are plain identifiers. */
  private peek(asValue: boolean): Token {
    const token = this.tokens[this.position] as Token;
    return asValue && (token.kind === "in" || token.kind === "notIn")
      ? { kind: "identifier", literal: token.literal }
      : token;
  }

  private next(asValue: boolean): Token {
    const token = this.peek(asValue);
    this.position++;
    return token;
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      const token = this.peek(true);
      if (token.kind === "end") return requirements;
      if (token.kind !== "identifier" && token.kind !== "doesNotExist") {
        throw new ParseFailure(
          `found '${token.literal}', expected: !, identifier, or 'end of string'`,
        );
      }
      requirements.push(this.parseRequirement());
      const after = this.next(true);
      if (after.kind === "end") return requirements;
      if (after.kind !== "comma") {
        throw new ParseFailure(`found '${after.literal}', expected: ',' or 'end of string'`);
      }
      const following = this.peek(true);
      if (following.kind !== "identifier" && following.kind !== "doesNotExist") {
        throw new ParseFailure(`found '${following.literal}', expected: identifier after ','`);
      }
    }
  }

  private parseRequirement(): Requirement {
    try {
      const { key, operator: unary } = this.parseKeyAndInferOperator();
      if (unary !== undefined) return newRequirement(key, unary, [], this.path);
      const operator = this.parseOperator();
      const values =
        operator === "in" || operator === "notin" ? this.parseValues() : this.parseExactValue();
      return newRequirement(key, operator, [...values].sort(compareStrings), this.path);
    } catch (error) {
      if (error instanceof ParseFailure || error instanceof InvalidLabelSelectorError) {
        throw new ParseFailure(`unable to parse requirement: ${error.message}`, error.causes);
      }
      throw error;
    }
  }

  /** A key alone (or `!key`) ends at "," or the end; otherwise an operator follows. */
  private parseKeyAndInferOperator(): { key: string; operator?: SelectorOperator } {
    let token = this.next(true);
    let operator: SelectorOperator | undefined;
    if (token.kind === "doesNotExist") {
      operator = "!";
      token = this.next(true);
    }
    if (token.kind !== "identifier") {
      throw new ParseFailure(`found '${token.literal}', expected: identifier`);
    }
    const keyError = validateLabelKey(token.literal, this.path);
    if (keyError !== undefined) throw new ParseFailure(fieldErrorMessage(keyError), [keyError]);
    const following = this.peek(true).kind;
    if (operator === undefined && (following === "end" || following === "comma")) {
      operator = "exists";
    }
    return operator === undefined ? { key: token.literal } : { key: token.literal, operator };
  }

  private parseOperator(): SelectorOperator {
    const token = this.next(false);
    switch (token.kind) {
      case "in":
        return "in";
      case "notIn":
        return "notin";
      case "equals":
        return "=";
      case "doubleEquals":
        return "==";
      case "notEquals":
        return "!=";
      case "greaterThan":
        return "gt";
      case "lessThan":
        return "lt";
      default:
        throw new ParseFailure(`found '${token.literal}', expected: ${binaryOperatorList}`);
    }
  }

  /** `(a,b,c)`; empty entries (`(a,,b)`, `()`) stand for the empty value. */
  private parseValues(): Set<string> {
    const open = this.next(true);
    if (open.kind !== "openPar") throw new ParseFailure(`found '${open.literal}' expected: '('`);
    const first = this.peek(true);
    if (first.kind === "closePar") {
      this.next(true);
      return new Set([""]);
    }
    if (first.kind !== "identifier" && first.kind !== "comma") {
      throw new ParseFailure(`found '${first.literal}', expected: ',', ')' or identifier`);
    }
    const values = this.parseIdentifierList();
    this.next(true); // the ")" that ended the list
    return values;
  }

  private parseIdentifierList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const token = this.next(true);
      if (token.kind === "identifier") {
        values.add(token.literal);
        const following = this.peek(true);
        if (following.kind === "comma") continue;
        if (following.kind === "closePar") return values;
        throw new ParseFailure(`found '${following.literal}', expected: ',' or ')'`);
      }
      if (token.kind === "comma") {
        if (values.size === 0) values.add(""); // "(,"
        const following = this.peek(true).kind;
        if (following === "closePar") {
          values.add(""); // ",)"
          return values;
        }
        // ",," adds the empty value; the second comma is read on the next turn. (Before
        // Kubernetes 1.34 it was consumed here, which made "(a,,)" a syntax error.)
        if (following === "comma") values.add("");
        continue;
      }
      throw new ParseFailure(`found '${token.literal}', expected: ',', or identifier`);
    }
  }

  /** The value after =, ==, !=, > or <; nothing before "," or the end means "". */
  private parseExactValue(): Set<string> {
    const following = this.peek(true).kind;
    if (following === "end" || following === "comma") return new Set([""]);
    const token = this.next(true);
    if (token.kind === "identifier") return new Set([token.literal]);
    throw new ParseFailure(`found '${token.literal}', expected: identifier`);
  }
}

/**
 * Parses a selector string into requirements sorted by key (stable, so two terms on one
 * key keep their order). Throws InvalidLabelSelectorError with upstream's message.
 * `path` names the field the string came from in error texts; without it keys are
 * reported at `<nil>`, as upstream does for query parameters.
 */
export function parseLabelSelectorRequirements(input: string, path?: FieldPath): Requirement[] {
  let requirements: Requirement[];
  try {
    requirements = new Parser(scan(input), path).parse();
  } catch (error) {
    if (error instanceof ParseFailure) {
      throw new InvalidLabelSelectorError(error.message, error.causes);
    }
    throw error;
  }
  return requirements.sort((a, b) => compareStrings(a.key, b.key));
}
