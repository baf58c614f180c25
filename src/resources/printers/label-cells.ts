/** Label sets and selectors as upstream prints them in cells. */
import { LabelSelector, type MetaV1LabelSelector } from "../labels/label-selector.ts";

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** labels.FormatLabels: "k=v" sorted by key and joined with ",", or "<none>". */
export function formatLabels(labels: Readonly<Record<string, string>> | null | undefined): string {
  const keys = Object.keys(labels ?? {}).sort(compareBytes);
  if (keys.length === 0) return "<none>";
  return keys.map((key) => `${key}=${labels?.[key] ?? ""}`).join(",");
}

/**
 * metav1.FormatLabelSelector: the canonical selector string, "<none>" when it selects
 * everything (or, for a missing selector, nothing), "<error>" when it cannot be parsed.
 */
export function formatLabelSelector(selector: MetaV1LabelSelector | null | undefined): string {
  let text: string;
  try {
    text = LabelSelector.fromObject(selector).toString();
  } catch {
    return "<error>";
  }
  return text === "" ? "<none>" : text;
}
