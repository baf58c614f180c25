import type { KubeObject } from "../../resources/kind.ts";
import { toTable } from "../../resources/printers/table-printer.ts";
import type { TablePrinter } from "../handlers/resource-handler.ts";

/** `kubectl get` tables from the resource printers. */
export function tablePrinter(): TablePrinter {
  return (kind, objects, options) => {
    const listMeta: { resourceVersion?: string; continue?: string } = {};
    if (options.resourceVersion) listMeta.resourceVersion = options.resourceVersion;
    if (options.continue) listMeta.continue = options.continue;
    return toTable(kind.group, kind.resource, objects, {
      now: new Date(),
      includeObject: options.includeObject,
      listMeta,
      noHeaders: !options.withColumns,
    }) as unknown as KubeObject;
  };
}
