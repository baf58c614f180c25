import type { KubeObject } from "../../../src/resources/kind.ts";
import { rowFor } from "../../../src/resources/printers/table-printer.ts";

/** The fixed instant every printer test prints at. */
export const now = new Date("2024-05-01T12:00:00Z");

const second = 1000;
export const minutes = (n: number) => n * 60 * second;
export const hours = (n: number) => n * 60 * minutes(1);
export const days = (n: number) => n * 24 * hours(1);

/** The RFC 3339 timestamp `milliseconds` before `now`, with whole seconds like metav1.Time. */
export function ago(milliseconds: number): string {
  return new Date(now.getTime() - milliseconds).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The cells of `object` keyed by column name, so tests state what they look at. */
export function cellsByColumn(
  group: string,
  resource: string,
  object: KubeObject,
  columns: readonly { name: string }[],
): Record<string, unknown> {
  const cells = rowFor(group, resource, object, now);
  if (cells.length !== columns.length) {
    throw new Error(`${cells.length} cells for ${columns.length} columns`);
  }
  return Object.fromEntries(columns.map((column, i) => [column.name, cells[i]]));
}
