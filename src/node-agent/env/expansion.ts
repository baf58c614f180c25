/**
 * `$(VAR)` references in env values, command and args, with upstream's rules:
 * `$(NAME)` becomes the value of NAME when a context defines it and stays as
 * written otherwise; `$$` is a literal `$`; a `$` not followed by `(` or `$`,
 * or an unclosed `$(`, is kept as is.
 */
export type Mapping = (name: string) => string;

/** Looks names up in each context in turn; unresolved references are left as written. */
export function mappingFor(...contexts: ReadonlyMap<string, string>[]): Mapping {
  return (name) => {
    for (const context of contexts) {
      const value = context.get(name);
      if (value !== undefined) return value;
    }
    return `$(${name})`;
  };
}

export function expand(input: string, mapping: Mapping): string {
  let out = "";
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== "$" || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    if (next === "$") {
      out += "$";
      cursor += 1;
    } else if (next === "(") {
      const close = input.indexOf(")", cursor + 2);
      if (close < 0) {
        out += "$(";
        cursor += 1;
      } else {
        out += mapping(input.slice(cursor + 2, close));
        cursor = close;
      }
    } else {
      out += `$${next}`;
      cursor += 1;
    }
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/**
 * A container's command and args with `$(VAR)` references to its environment
 * expanded (upstream ExpandContainerCommandAndArgs). Only what the container
 * gives is expanded, before the image catalog supplies any default.
 */
export function expandCommandAndArgs<T extends { command?: string[]; args?: string[] }>(
  container: T,
  env: Readonly<Record<string, string>>,
): T {
  const mapping = mappingFor(new Map(Object.entries(env)));
  return {
    ...container,
    ...(container.command ? { command: container.command.map((c) => expand(c, mapping)) } : {}),
    ...(container.args ? { args: container.args.map((a) => expand(a, mapping)) } : {}),
  };
}
