/**
 * What decides which pods may be evicted or preempted: PodDisruptionBudgets (policy/v1)
 * and PriorityClasses (scheduling.k8s.io/v1).
 */
import type { KubeObject } from "../kind.ts";
import { ageOf, nameOf } from "./object-meta-cells.ts";
import type { PrinterSet } from "./resource-printer.ts";
import { ageColumn, column, nameColumn } from "./table-column.ts";

interface PodDisruptionBudget {
  spec?: {
    minAvailable?: number | string | null;
    maxUnavailable?: number | string | null;
  } | null;
  status?: { disruptionsAllowed?: number } | null;
}

interface PriorityClass {
  value?: number;
  globalDefault?: boolean;
  preemptionPolicy?: string | null;
}

const podDisruptionBudgetColumns = [
  nameColumn,
  column("Min Available", "The minimum number of pods that must be available."),
  column("Max Unavailable", "The maximum number of pods that may be unavailable."),
  column("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time.", {
    type: "integer",
  }),
  ageColumn,
];

const priorityClassColumns = [
  nameColumn,
  column(
    "Value",
    "value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.",
    { type: "integer" },
  ),
  column(
    "Global-Default",
    "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.",
    { type: "boolean" },
  ),
  ageColumn,
  column(
    "PreemptionPolicy",
    "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.",
  ),
];

/** An IntOrString as written ("2", "50%"), "N/A" when unset. */
function intOrString(value: number | string | null | undefined): string {
  return value === undefined || value === null ? "N/A" : String(value);
}

export const policyPrinters: PrinterSet = {
  "poddisruptionbudgets.policy": {
    columns: podDisruptionBudgetColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const { spec, status } = object as PodDisruptionBudget;
      return [
        nameOf(object),
        intOrString(spec?.minAvailable),
        intOrString(spec?.maxUnavailable),
        status?.disruptionsAllowed ?? 0,
        ageOf(object, now),
      ];
    },
  },
  "priorityclasses.scheduling.k8s.io": {
    columns: priorityClassColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const priorityClass = object as PriorityClass;
      return [
        nameOf(object),
        priorityClass.value ?? 0,
        priorityClass.globalDefault ?? false,
        ageOf(object, now),
        priorityClass.preemptionPolicy ?? "",
      ];
    },
  },
};
