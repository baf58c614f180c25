import { parseArgs } from "node:util";

export interface FlagSpec {
  type: "string" | "boolean";
  description: string;
  default?: string | boolean;
  short?: string;
  /** May be given several times; the value is then a list. */
  multiple?: boolean;
}

export type Flags = Record<string, FlagSpec>;

export type ParsedFlags<F extends Flags> = {
  [K in keyof F]: F[K]["type"] extends "boolean"
    ? boolean
    : F[K]["multiple"] extends true
      ? string[]
      : string | undefined;
};

/** Parses `argv` against `flags`; unknown flags are an error that names the flag. */
export function parseFlags<F extends Flags>(argv: string[], flags: F): ParsedFlags<F> {
  const { values, positionals } = parseFlagsAndArgs(argv, flags);
  if (positionals.length > 0) throw new Error(`unexpected argument: ${positionals[0]}`);
  return values;
}

/** Like parseFlags, for commands that also take arguments. */
export function parseFlagsAndArgs<F extends Flags>(
  argv: string[],
  flags: F,
): { values: ParsedFlags<F>; positionals: string[] } {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const [name, spec] of Object.entries(flags)) {
    options[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  const { values, positionals } = parseArgs({
    args: argv,
    options,
    allowPositionals: true,
    strict: true,
  });
  const result: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(flags)) {
    const fallback = spec.multiple ? [] : spec.type === "boolean" ? false : undefined;
    result[name] = values[name] ?? spec.default ?? fallback;
  }
  return { values: result as ParsedFlags<F>, positionals };
}

export function formatFlags(flags: Flags): string {
  const rows = Object.entries(flags).map(([name, spec]) => {
    const left = `  ${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.type === "string" ? " VALUE" : ""}`;
    const def =
      spec.default !== undefined && spec.default !== false ? ` (default ${spec.default})` : "";
    return `${left.padEnd(30)} ${spec.description}${def}`;
  });
  return rows.join("\n");
}
