/**
 * The path from an object's root to one of its fields, rendered the way upstream's
 * `field.Path` renders it (`spec.containers[0].env[FOO]`), because that string is what
 * kubectl shows in front of every validation error and what `details.causes[].field`
 * carries.
 *
 * Paths are immutable: `child`, `index` and `key` return a new path and never change the
 * receiver, so one parent can be shared by many siblings.
 */
export class FieldPath {
  private constructor(
    /** The field name, or undefined when this element is a subscript. */
    private readonly name: string | undefined,
    /** The subscript (list index or map key) when `name` is undefined. */
    private readonly subscript: string | undefined,
    private readonly parent: FieldPath | undefined,
  ) {}

  /** A root path, optionally followed by more names: `FieldPath.root("spec", "template")`. */
  static root(name: string, ...more: string[]): FieldPath {
    let path = new FieldPath(name, undefined, undefined);
    for (const next of more) path = new FieldPath(next, undefined, path);
    return path;
  }

  child(name: string, ...more: string[]): FieldPath {
    let path = new FieldPath(name, undefined, this);
    for (const next of more) path = new FieldPath(next, undefined, path);
    return path;
  }

  /** Subscripts the previous element with a list index: `containers[0]`. */
  index(index: number): FieldPath {
    return new FieldPath(undefined, String(index), this);
  }

  /** Subscripts the previous element with a map key: `labels[app]` (the key is not quoted). */
  key(key: string): FieldPath {
    return new FieldPath(undefined, key, this);
  }

  toString(): string {
    const elements: FieldPath[] = [];
    for (let p: FieldPath | undefined = this; p !== undefined; p = p.parent) elements.push(p);
    let out = "";
    for (let i = elements.length - 1; i >= 0; i--) {
      const element = elements[i] as FieldPath;
      // An empty name renders as a subscript, exactly like upstream, which treats "" as
      // "this element is an index".
      if (element.name !== undefined && element.name.length > 0) {
        if (element.parent !== undefined) out += ".";
        out += element.name;
      } else {
        out += `[${element.subscript ?? ""}]`;
      }
    }
    return out;
  }
}

/** Shorthand for `FieldPath.root(...)`. */
export function fieldPath(name: string, ...more: string[]): FieldPath {
  return FieldPath.root(name, ...more);
}

/**
 * How a missing path renders. Upstream prints `<nil>` for errors raised without a path
 * (a label selector string parsed outside any object, for example), and kubectl users see
 * that text, so it is kept.
 */
export const NIL_PATH = "<nil>";

export function renderPath(path: FieldPath | undefined): string {
  return path === undefined ? NIL_PATH : path.toString();
}

/**
 * `parent.child(name)`, or a root path when there is no parent: upstream's nil `*Path`
 * behaves this way, so errors raised under "no path" still name the field (`key`, `values`).
 */
export function childOf(parent: FieldPath | undefined, name: string): FieldPath {
  return parent === undefined ? FieldPath.root(name) : parent.child(name);
}
