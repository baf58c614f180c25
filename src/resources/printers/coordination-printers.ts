/** Leases (coordination.k8s.io/v1): leader election and node heartbeats. */
import type { KubeObject } from "../kind.ts";
import { ageOf, nameOf } from "./object-meta-cells.ts";
import type { PrinterSet } from "./resource-printer.ts";
import { ageColumn, column, nameColumn } from "./table-column.ts";

const leaseColumns = [
  nameColumn,
  column(
    "Holder",
    "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.",
  ),
  ageColumn,
];

export const coordinationPrinters: PrinterSet = {
  "leases.coordination.k8s.io": {
    columns: leaseColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const spec = (object as { spec?: { holderIdentity?: string | null } | null }).spec;
      return [nameOf(object), spec?.holderIdentity ?? "", ageOf(object, now)];
    },
  },
};
