/** Namespaces and the ResourceQuotas that bound them (core/v1). LimitRanges have no printer upstream. */
import type { KubeObject } from "../kind.ts";
import { ageOf, nameOf } from "./object-meta-cells.ts";
import { quantityCell } from "./quantity-cell.ts";
import type { PrinterSet } from "./resource-printer.ts";
import { ageColumn, column, nameColumn } from "./table-column.ts";

interface Namespace {
  status?: { phase?: string } | null;
}

interface ResourceQuota {
  status?: {
    hard?: Record<string, string> | null;
    used?: Record<string, string> | null;
  } | null;
}

const namespaceColumns = [nameColumn, column("Status", "The status of the namespace"), ageColumn];

const resourceQuotaColumns = [
  nameColumn,
  column(
    "Request",
    "Request represents a minimum amount of cpu/memory that a container may consume.",
  ),
  column(
    "Limit",
    "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
  ),
  ageColumn,
];

/**
 * REQUEST and LIMIT of a quota: "name: used/hard" for every resource in status.hard,
 * sorted by name; resources named "limits.*" go to LIMIT, all others to REQUEST.
 */
function quotaCells(quota: ResourceQuota): [string, string] {
  const hard = quota.status?.hard ?? {};
  const used = quota.status?.used ?? {};
  const requests: string[] = [];
  const limits: string[] = [];
  for (const name of Object.keys(hard).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const text = `${name}: ${quantityCell(used[name])}/${quantityCell(hard[name])}`;
    const pieces = name.split(".");
    (pieces.length > 1 && pieces[0] === "limits" ? limits : requests).push(text);
  }
  return [requests.join(", "), limits.join(", ")];
}

export const namespacePrinters: PrinterSet = {
  namespaces: {
    columns: namespaceColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      // The API server sets phase Active at creation; until then it reads the same.
      const phase = (object as Namespace).status?.phase || "Active";
      return [nameOf(object), phase, ageOf(object, now)];
    },
  },
  resourcequotas: {
    columns: resourceQuotaColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const [requests, limits] = quotaCells(object as ResourceQuota);
      return [nameOf(object), requests, limits, ageOf(object, now)];
    },
  },
};
