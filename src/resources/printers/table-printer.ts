/**
 * Server-side `kubectl get` output: the meta.k8s.io Table the API server returns for
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
 *
 * The table always carries every column, `-o wide` ones included (kubectl hides
 * priority-1 columns itself), and one row per object. Each row also carries the object
 * as the request's `includeObject` asks: its metadata as a PartialObjectMetadata (the
 * default, which kubectl relies on for names, namespaces and labels), the whole object,
 * or nothing.
 *
 * Printing never fails and never reads the clock: `now` is passed in so every row of a
 * table, and every test, sees the same instant.
 */
import type { KubeObject, ObjectMeta, TableColumn } from "../kind.ts";
import { printerFor } from "./printer-registry.ts";
import type { TableRowCondition } from "./resource-printer.ts";

/** meta.k8s.io/v1 IncludeObjectPolicy; the API server rejects other values with 400. */
export type IncludeObjectPolicy = "None" | "Metadata" | "Object";

/** kubectl asks for v1 first; v1beta1 tables have the same shape. */
export type TableApiVersion = "meta.k8s.io/v1" | "meta.k8s.io/v1beta1";

/** metav1.ListMeta of the table: copied from the list (or the single object) printed. */
export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface PartialObjectMetadata {
  kind: "PartialObjectMetadata";
  apiVersion: TableApiVersion;
  metadata: ObjectMeta;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  /** PartialObjectMetadata, the object itself, or null for includeObject=None. */
  object: PartialObjectMetadata | KubeObject | null;
}

export interface Table {
  kind: "Table";
  apiVersion: TableApiVersion;
  metadata: TableListMeta;
  columnDefinitions: TableColumn[];
  rows: TableRow[];
}

export interface ToTableOptions {
  now: Date;
  /** Defaults to "Metadata", as on the API server when the request does not say. */
  includeObject?: IncludeObjectPolicy;
  /** resourceVersion/continue of the list; for a single object, its resourceVersion. */
  listMeta?: TableListMeta;
  /**
   * Leaves the column definitions out (an empty list): a watch sends them only with its
   * first event.
   */
  noHeaders?: boolean;
  apiVersion?: TableApiVersion;
}

/** The column definitions of a resource, wide ones included. */
export function columnsFor(group: string, resource: string): TableColumn[] {
  return printerFor(group, resource).columns.map((c) => ({ ...c }));
}

/** The cells of one object, one per column of `columnsFor`. */
export function rowFor(group: string, resource: string, object: KubeObject, now: Date): unknown[] {
  return printerFor(group, resource).cells(object, now);
}

/** ListMeta fields are omitempty upstream: only the ones that are set appear. */
function listMetaOf(listMeta: TableListMeta | undefined): TableListMeta {
  const metadata: TableListMeta = {};
  if (listMeta?.resourceVersion) metadata.resourceVersion = listMeta.resourceVersion;
  if (listMeta?.continue) metadata.continue = listMeta.continue;
  if (listMeta?.remainingItemCount !== undefined) {
    metadata.remainingItemCount = listMeta.remainingItemCount;
  }
  return metadata;
}

function rowObject(
  object: KubeObject,
  includeObject: IncludeObjectPolicy,
  apiVersion: TableApiVersion,
): TableRow["object"] {
  switch (includeObject) {
    case "None":
      return null;
    case "Object":
      return object;
    case "Metadata":
      return { kind: "PartialObjectMetadata", apiVersion, metadata: { ...object.metadata } };
  }
}

/** The Table for a list (or a single object passed as a one-element list). */
export function toTable(
  group: string,
  resource: string,
  objects: readonly KubeObject[],
  options: ToTableOptions,
): Table {
  const printer = printerFor(group, resource);
  const includeObject = options.includeObject ?? "Metadata";
  const apiVersion = options.apiVersion ?? "meta.k8s.io/v1";
  const rows = objects.map((object): TableRow => {
    const cells = printer.cells(object, options.now);
    const conditions = printer.conditions?.(object);
    const item = rowObject(object, includeObject, apiVersion);
    return conditions ? { cells, conditions, object: item } : { cells, object: item };
  });
  return {
    kind: "Table",
    apiVersion,
    metadata: listMetaOf(options.listMeta),
    columnDefinitions: options.noHeaders ? [] : columnsFor(group, resource),
    rows,
  };
}
