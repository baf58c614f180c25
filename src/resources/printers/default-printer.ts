/**
 * The table of a resource without a printer of its own (upstream's default table
 * convertor in k8s.io/apiserver/pkg/registry/rest/table.go): NAME, and CREATED AT as an
 * RFC 3339 date in UTC, which kubectl shows as is rather than as an age.
 */
import type { KubeObject } from "../kind.ts";
import { nameOf } from "./object-meta-cells.ts";
import type { ResourcePrinter } from "./resource-printer.ts";
import { column, creationTimestampDescription, nameColumn } from "./table-column.ts";
import { parseTimestamp } from "./timestamp-since.ts";

/** Go's time.RFC3339 for a missing timestamp: the zero time. */
const zeroTime = "0001-01-01T00:00:00Z";

/** RFC 3339 in UTC with whole seconds, as Go's time.RFC3339 layout prints it. */
function createdAt(object: KubeObject): string {
  const at = parseTimestamp(object.metadata?.creationTimestamp);
  if (at === undefined) return zeroTime;
  // toISOString always has milliseconds; Go's layout truncates to seconds.
  return `${new Date(at).toISOString().slice(0, 19)}Z`;
}

export const defaultPrinter: ResourcePrinter = {
  columns: [nameColumn, column("Created At", creationTimestampDescription, { type: "date" })],
  cells(object: KubeObject): unknown[] {
    return [nameOf(object), createdAt(object)];
  },
};
