/**
 * The diff upstream appends to "may not change" errors (`cmp.Diff` of the old and new
 * structs), so users see which field their update touched. Go's rendering cannot be
 * reproduced from JSON; this lists each changed path instead, one `-`/`+` pair per path,
 * with the semantic equality validation uses (absent, null and empty are the same).
 */
import { semanticEqual } from "../../validation/immutable.ts";
import { isRecord } from "./json-value.ts";

/** At most this many paths are listed; a replaced list can otherwise run to pages. */
const maxListedPaths = 20;

export function describeDiff(oldValue: unknown, newValue: unknown, root = ""): string {
  const lines: string[] = [];
  collect(oldValue, newValue, root, lines);
  const shown = lines.slice(0, maxListedPaths * 2);
  if (lines.length > shown.length) shown.push(`  … ${(lines.length - shown.length) / 2} more`);
  return shown.join("\n");
}

function collect(oldValue: unknown, newValue: unknown, path: string, lines: string[]): void {
  if (semanticEqual(oldValue, newValue)) return;
  if (isRecord(oldValue) && isRecord(newValue)) {
    const keys = [...new Set([...Object.keys(oldValue), ...Object.keys(newValue)])].sort();
    for (const key of keys) {
      collect(oldValue[key], newValue[key], path === "" ? key : `${path}.${key}`, lines);
    }
    return;
  }
  if (Array.isArray(oldValue) && Array.isArray(newValue) && oldValue.length === newValue.length) {
    oldValue.forEach((item, i) => {
      collect(item, newValue[i], `${path}[${i}]`, lines);
    });
    return;
  }
  lines.push(`- ${path}: ${render(oldValue)}`, `+ ${path}: ${render(newValue)}`);
}

function render(value: unknown): string {
  return value === undefined ? "null" : JSON.stringify(value);
}
