/** Admission webhook configurations (admissionregistration.k8s.io/v1). */
import type { KubeObject } from "../kind.ts";
import { ageOf, nameOf } from "./object-meta-cells.ts";
import type { PrinterSet, ResourcePrinter } from "./resource-printer.ts";
import { ageColumn, column, nameColumn } from "./table-column.ts";

const webhookConfigurationColumns = [
  nameColumn,
  column("Webhooks", "Webhooks indicates the number of webhooks registered in this configuration", {
    type: "integer",
  }),
  ageColumn,
];

/** WEBHOOKS: how many webhooks the configuration registers. */
const webhookConfigurationPrinter: ResourcePrinter = {
  columns: webhookConfigurationColumns,
  cells(object: KubeObject, now: Date): unknown[] {
    const webhooks = (object as { webhooks?: unknown[] | null }).webhooks ?? [];
    return [nameOf(object), webhooks.length, ageOf(object, now)];
  },
};

export const admissionPrinters: PrinterSet = {
  "mutatingwebhookconfigurations.admissionregistration.k8s.io": webhookConfigurationPrinter,
  "validatingwebhookconfigurations.admissionregistration.k8s.io": webhookConfigurationPrinter,
};
