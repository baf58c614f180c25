import type { KubeObject, TableColumn } from "../kind.ts";

/** meta.k8s.io/v1 TableRowCondition; upstream sets one only on pods that have finished. */
export interface TableRowCondition {
  type: "Completed";
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
}

/**
 * How one resource prints as `kubectl get` rows: the server always prints the wide form
 * (upstream's table convertor passes Wide: true) and kubectl hides the priority-1 columns
 * itself, so `cells` returns one value per column, wide ones included.
 *
 * Implementations are pure: the object is only read, and ages are computed from `now`,
 * never from the clock, so the same inputs always print the same row.
 */
export interface ResourcePrinter {
  readonly columns: readonly TableColumn[];
  cells(object: KubeObject, now: Date): unknown[];
  conditions?(object: KubeObject): TableRowCondition[] | undefined;
}

/**
 * The printers of one family of resources, keyed like upstream's GroupResource string:
 * the plural resource, then "." and the group unless it is the core group ("pods",
 * "deployments.apps", "events.events.k8s.io").
 */
export type PrinterSet = Readonly<Record<string, ResourcePrinter>>;
