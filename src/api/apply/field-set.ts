/**
 * Sets of field paths in the FieldsV1 shape managedFields uses (upstream's
 * structured-merge-diff `fieldpath.Set`). A path element is one of:
 * - `f:<name>`: a field of an object or a key of a map;
 * - `k:{"name":"x"}`: the item of an associative list with these key values;
 * - `v:<json>`: the item of a set list with this value;
 * - `.` in the encoding marks the node itself as a member when it also has
 *   children (a leaf `{}` is always a member).
 *
 * The set of an object is computed against the schema: objects recurse into
 * their fields, maps into their keys (each key a member), associative and set
 * lists into their items (each item a member), and scalars, atomic lists,
 * atomic structs and opaque types (Quantity, Time, …) are members as a whole.
 */
import { type FieldSchema, type FieldType, typeSchema } from "../../resources/schema/schema.ts";
import { isJsonObject, type JsonObject, type JsonValue, jsonEqual } from "../patch/json-value.ts";

/** One node of a set: whether the path to it is a member, and the paths below it. */
export class FieldSet {
  member = false;
  readonly children = new Map<string, FieldSet>();

  static decode(fieldsV1: unknown): FieldSet {
    const set = new FieldSet();
    if (!isJsonObject(fieldsV1)) return set;
    const keys = Object.keys(fieldsV1);
    if (keys.length === 0) set.member = true;
    for (const key of keys) {
      if (key === ".") set.member = true;
      else set.children.set(key, FieldSet.decode(fieldsV1[key]));
    }
    return set;
  }

  /** The FieldsV1 JSON; the root's own membership is not encoded (it is never a field). */
  encode(): JsonObject {
    const out: JsonObject = {};
    if (this.member && this.children.size > 0) out["."] = {};
    for (const key of [...this.children.keys()].sort()) {
      const child = this.children.get(key) as FieldSet;
      if (!child.isEmpty()) out[key] = child.encode();
    }
    return out;
  }

  isEmpty(): boolean {
    if (this.member) return false;
    for (const child of this.children.values()) if (!child.isEmpty()) return false;
    return true;
  }

  child(element: string): FieldSet {
    let found = this.children.get(element);
    if (!found) {
      found = new FieldSet();
      this.children.set(element, found);
    }
    return found;
  }

  insert(path: readonly string[]): void {
    let node: FieldSet = this;
    for (const element of path) node = node.child(element);
    node.member = true;
  }

  has(path: readonly string[]): boolean {
    let node: FieldSet | undefined = this;
    for (const element of path) {
      node = node.children.get(element);
      if (!node) return false;
    }
    return node.member;
  }

  /** Whether the set holds this path or any path below it. */
  hasPrefix(path: readonly string[]): boolean {
    let node: FieldSet | undefined = this;
    for (const element of path) {
      node = node.children.get(element);
      if (!node) return false;
    }
    return !node.isEmpty();
  }

  /** Every member path, parents before children. */
  paths(prefix: string[] = []): string[][] {
    const out: string[][] = this.member ? [prefix] : [];
    for (const [key, child] of this.children) out.push(...child.paths([...prefix, key]));
    return out;
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    for (const path of other.paths()) out.insert(path);
    return out;
  }

  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const path of this.paths()) if (!other.has(path)) out.insert(path);
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const path of this.paths()) if (other.has(path)) out.insert(path);
    return out;
  }

  equals(other: FieldSet): boolean {
    return jsonEqual(this.encode(), other.encode());
  }

  clone(): FieldSet {
    return FieldSet.decode(this.encode()).withMember(this.member);
  }

  private withMember(member: boolean): FieldSet {
    this.member = member;
    return this;
  }
}

/** How the items of a list are told apart. */
export type ListKind =
  | { kind: "associative"; keys: string[]; item: FieldType }
  | { kind: "set" }
  | { kind: "atomic" };

/** The list semantics server-side apply gives a field (listType first, then patch tags). */
export function listKindOf(field: FieldSchema): ListKind {
  const type = field.type;
  if (type.kind !== "list") return { kind: "atomic" };
  if (field.listType === "atomic") return { kind: "atomic" };
  if (field.listType === "map" && field.listMapKeys?.length) {
    return { kind: "associative", keys: field.listMapKeys, item: type.elem };
  }
  if (field.listType === "set") return { kind: "set" };
  if (field.patchStrategy?.includes("merge")) {
    if (field.patchMergeKey)
      return { kind: "associative", keys: [field.patchMergeKey], item: type.elem };
    if (type.elem.kind === "scalar") return { kind: "set" };
  }
  return { kind: "atomic" };
}

/**
 * The key element of an associative list item. Key fields the item leaves out
 * take their schema default (ContainerPort.protocol is "TCP"), so an applied
 * port without protocol names the same item as the defaulted live one.
 */
export function keyElement(item: JsonValue, keys: readonly string[], itemType: FieldType): string {
  const ref = itemType.kind === "message" ? itemType.ref : undefined;
  const schema = ref ? typeSchema(ref) : undefined;
  const values: JsonObject = {};
  for (const key of [...keys].sort()) {
    const value = isJsonObject(item) ? item[key] : undefined;
    if (value !== undefined && value !== null) values[key] = value;
    else {
      const fallback = schema?.field(key)?.default;
      if (fallback !== undefined) {
        try {
          values[key] = JSON.parse(fallback) as JsonValue;
        } catch {
          // A `ref(Const)` default names a Go constant: the key stays without it.
        }
      }
    }
  }
  return `k:${JSON.stringify(values)}`;
}

export function valueElement(item: JsonValue): string {
  return `v:${JSON.stringify(item)}`;
}

/** The schema of the field `name` inside a value of `type` (a map's value for any key). */
export function fieldIn(type: FieldType, name: string): { field?: FieldSchema; type?: FieldType } {
  if (type.kind === "map") return { type: type.value };
  if (type.kind !== "message") return {};
  const schema = typeSchema(type.ref);
  const field = schema?.field(name);
  return field ? { field, type: field.type } : {};
}

/** Whether a value of this type is a member as a whole (never recursed into). */
export function isAtomicType(type: FieldType | undefined): boolean {
  if (!type) return true;
  if (type.kind === "scalar") return true;
  if (type.kind === "message") {
    const schema = typeSchema(type.ref);
    return !schema || Boolean(schema.custom) || schema.structType === "atomic";
  }
  return false;
}

/** The field set of `value`, an object of the type `ref` ("apps/v1.Deployment"). */
export function fieldSetOf(value: JsonObject, ref: string): FieldSet {
  const set = new FieldSet();
  walkObject(value, { kind: "message", ref }, [], set);
  return set;
}

function walkObject(value: JsonObject, type: FieldType, path: string[], set: FieldSet): void {
  for (const [name, child] of Object.entries(value)) {
    if (child === null || child === undefined) continue;
    const { field, type: childType } = fieldIn(type, name);
    const childPath = [...path, `f:${name}`];
    walkValue(child, field, childType, childPath, set);
    // A map's keys are members themselves; an object's fields only through their values.
    if (type.kind === "map") set.insert(childPath);
  }
}

function walkValue(
  value: JsonValue,
  field: FieldSchema | undefined,
  type: FieldType | undefined,
  path: string[],
  set: FieldSet,
): void {
  if (type?.kind === "list" && field && Array.isArray(value)) {
    const list = listKindOf(field);
    if (list.kind === "atomic") {
      set.insert(path);
      return;
    }
    for (const item of value) {
      if (list.kind === "set") {
        set.insert([...path, valueElement(item)]);
        continue;
      }
      const itemPath = [...path, keyElement(item, list.keys, list.item)];
      set.insert(itemPath);
      if (isJsonObject(item) && !isAtomicType(list.item))
        walkObject(item, list.item, itemPath, set);
    }
    return;
  }
  if (isAtomicType(type) || field?.mapType === "atomic" || !isJsonObject(value)) {
    set.insert(path);
    return;
  }
  // An empty object (`emptyDir: {}`) is still something the applier set.
  if (Object.keys(value).length === 0) {
    set.insert(path);
    return;
  }
  walkObject(value, type as FieldType, path, set);
}

/** Upstream's path text in conflict messages: `.spec.containers[name="web"].image`. */
export function pathString(path: readonly string[]): string {
  let out = "";
  for (const element of path) {
    if (element.startsWith("f:")) out += `.${element.slice(2)}`;
    else if (element.startsWith("v:")) out += `[=${element.slice(2)}]`;
    else if (element.startsWith("k:")) {
      const keys = JSON.parse(element.slice(2)) as JsonObject;
      const parts = Object.entries(keys).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      out += `[${parts.join(",")}]`;
    }
  }
  return out;
}
