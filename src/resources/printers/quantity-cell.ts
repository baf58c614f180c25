import { Quantity } from "../quantity/quantity.ts";

/**
 * A quantity as upstream prints it (resource.Quantity.String(), the canonical form):
 * "0" when it is missing, the stored text unchanged when it does not parse, since a cell
 * must never fail a whole list.
 */
export function quantityCell(value: unknown): string {
  if (value === undefined || value === null) return "0";
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string") return "";
  try {
    return Quantity.parse(text).toString();
  } catch {
    return text;
  }
}
