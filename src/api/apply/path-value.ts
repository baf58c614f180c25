/**
 * Reading and removing the value a field path names inside an object. List
 * items are found by their key (`k:`) or value (`v:`), the way the set that
 * names them was computed, so these walks need the schema too.
 */
import type { FieldType } from "../../resources/schema/schema.ts";
import { isJsonObject, type JsonValue, jsonEqual } from "../patch/json-value.ts";
import { fieldIn, keyElement, listKindOf } from "./field-set.ts";

interface Located {
  /** The list or object holding the value, and where in it. */
  parent: JsonValue[] | Record<string, JsonValue>;
  at: number | string;
  value: JsonValue;
}

function locate(root: JsonValue, ref: string, path: readonly string[]): Located | undefined {
  let current: JsonValue = root;
  let type: FieldType | undefined = { kind: "message", ref };
  let listField: ReturnType<typeof fieldIn>["field"];
  let found: Located | undefined;
  for (const element of path) {
    if (element.startsWith("f:")) {
      if (!isJsonObject(current)) return undefined;
      const name = element.slice(2);
      const value = current[name];
      if (value === undefined) return undefined;
      const next: ReturnType<typeof fieldIn> = type ? fieldIn(type, name) : {};
      found = { parent: current, at: name, value };
      listField = next.field;
      type = next.type;
      current = value;
      continue;
    }
    if (!Array.isArray(current) || !listField || type?.kind !== "list") return undefined;
    const list = listKindOf(listField);
    const items: JsonValue[] = current;
    let index = -1;
    if (element.startsWith("v:")) {
      const wanted = JSON.parse(element.slice(2)) as JsonValue;
      index = items.findIndex((item) => jsonEqual(item, wanted));
    } else if (element.startsWith("k:") && list.kind === "associative") {
      index = items.findIndex((item) => keyElement(item, list.keys, list.item) === element);
    }
    if (index < 0) return undefined;
    found = { parent: items, at: index, value: items[index] as JsonValue };
    current = items[index] as JsonValue;
    type = type.elem;
    listField = undefined;
  }
  return found;
}

/** The value at `path` in `root` (an object of type `ref`); undefined when absent. */
export function valueAt(
  root: JsonValue,
  ref: string,
  path: readonly string[],
): JsonValue | undefined {
  return locate(root, ref, path)?.value;
}

/** Removes the value at `path` from `root` in place; true when something was removed. */
export function removeAt(root: JsonValue, ref: string, path: readonly string[]): boolean {
  const found = locate(root, ref, path);
  if (!found) return false;
  if (Array.isArray(found.parent)) found.parent.splice(found.at as number, 1);
  else delete found.parent[found.at as string];
  return true;
}
